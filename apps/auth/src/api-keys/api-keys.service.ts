import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import {
  ApiKeyCreated,
  ApiKeyView,
  AuthErrorCode,
  CreateApiKeyRequest,
  ListPage,
  ListQuery,
  Principal,
} from '@llmp/contracts';
import { toListPage } from '@llmp/platform';
import { authConfig } from '../config/auth.config';
import { isUuid } from '../common/ids';
import { generateApiKey } from '../common/secrets';
import { AuthError } from '../errors/auth.error';
import { AuthEventsPublisher } from '../events/auth-events.publisher';
import { LimitDefaults, keyPrincipal } from '../users/principal';
import type { UserEntity } from '../users/user.entity';
import { UsersRepository } from '../users/users.repository';
import { ApiKeysRepository } from './api-keys.repository';
import { toApiKeyView } from './api-key.view';
import { CreatorKey, resolveKeyGrant } from './key-grant';

/** last_used_at is written at most once a minute per key (per replica here, and across replicas in SQL). */
const TOUCH_INTERVAL_MS = 60_000;
const TOUCH_MEMORY_MAX = 10_000;

@Injectable()
export class ApiKeysService {
  private readonly logger = new Logger(ApiKeysService.name);
  private readonly limits: LimitDefaults;
  private readonly lastTouched = new Map<string, number>();

  constructor(
    private readonly keys: ApiKeysRepository,
    private readonly users: UsersRepository,
    private readonly events: AuthEventsPublisher,
    @Inject(authConfig.KEY) cfg: ConfigType<typeof authConfig>,
  ) {
    this.limits = { user: cfg.defaultUserLimits, key: cfg.defaultKeyLimits };
  }

  /**
   * Creates a key for the user; the secret is in this answer only. `creatorKeyId`: the API key the request came
   * with (null for a user token), which bounds what the new key may get (see resolveKeyGrant).
   */
  async create(userId: string, creatorKeyId: string | null, req: CreateApiKeyRequest): Promise<ApiKeyCreated> {
    if (req.expires_at && req.expires_at * 1000 <= Date.now()) {
      throw new AuthError(AuthErrorCode.InvalidRequest, 'expires_at must be in the future.', 'expires_at');
    }
    const user = await this.users.findById(userId);
    if (!user) throw AuthError.notFound('user', 'userId');
    const grant = resolveKeyGrant(req, user.role, creatorKeyId ? await this.creator(user, creatorKeyId) : null);
    const secret = generateApiKey();
    const key = await this.keys.create({
      userId,
      name: req.name,
      prefix: secret.prefix,
      keyHash: secret.hash,
      ...grant,
    });
    return { ...toApiKeyView(key, user.role), key: secret.key };
  }

  async list(userId: string, query: ListQuery): Promise<ListPage<ApiKeyView>> {
    const [user, rows] = await Promise.all([
      this.users.findById(userId),
      this.keys.listActivePage(userId, query.after, query.limit),
    ]);
    // Keys are deleted with their user, so rows without a user do not occur; their scopes would be a user's.
    const role = user?.role ?? 'user';
    return toListPage(rows, query.limit, (k) => toApiKeyView(k, role));
  }

  /** Revokes one of the user's keys; another user's key, an unknown or a malformed id are all not_found. */
  async revoke(userId: string, id: string): Promise<{ id: string; object: 'api_key'; deleted: true }> {
    if (!isUuid(id) || !(await this.keys.revoke(id, userId))) throw AuthError.notFound('API key');
    this.lastTouched.delete(id);
    await this.events.publish({ type: 'api_key.revoked', keyId: id, userId });
    return { id, object: 'api_key', deleted: true };
  }

  /** The principal behind a key hash; null when unknown, revoked, expired, or its user is disabled. */
  async principal(keyHash: string): Promise<Principal | null> {
    const key = await this.keys.findByHash(keyHash);
    if (!key) return null;
    const user = await this.users.findById(key.userId);
    const principal = user ? keyPrincipal(user, key, this.limits) : null;
    if (principal) await this.touch(key.id);
    return principal;
  }

  /** The creating key as it stands now: it must be the user's and still valid. */
  private async creator(user: UserEntity, keyId: string): Promise<CreatorKey> {
    const key = await this.keys.findById(keyId);
    const principal = key && key.userId === user.id ? keyPrincipal(user, key, this.limits) : null;
    if (!key || !principal?.keyLimits) {
      throw new AuthError(
        AuthErrorCode.PermissionDenied,
        'The API key making this request is revoked, expired or not this user’s.',
      );
    }
    return { scopes: principal.scopes, models: key.models, limits: principal.keyLimits, expiresAt: key.expiresAt };
  }

  private async touch(keyId: string): Promise<void> {
    const now = Date.now();
    if (now - (this.lastTouched.get(keyId) ?? 0) < TOUCH_INTERVAL_MS) return;
    if (this.lastTouched.size >= TOUCH_MEMORY_MAX) this.lastTouched.clear();
    this.lastTouched.set(keyId, now);
    try {
      await this.keys.touchLastUsed(keyId);
    } catch (err) {
      // Bookkeeping only: a failed write must not refuse a valid key.
      this.logger.warn({ err, keyId }, 'could not update last_used_at');
    }
  }
}
