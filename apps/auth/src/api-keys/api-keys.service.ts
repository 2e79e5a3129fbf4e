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
import { UsersRepository } from '../users/users.repository';
import { ApiKeysRepository } from './api-keys.repository';
import { toApiKeyView } from './api-key.view';

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

  /** Creates a key; the secret is in this answer only. */
  async create(userId: string, req: CreateApiKeyRequest): Promise<ApiKeyCreated> {
    const expiresAt = req.expires_at ? new Date(req.expires_at * 1000) : null;
    if (expiresAt && expiresAt.getTime() <= Date.now()) {
      throw new AuthError(AuthErrorCode.InvalidRequest, 'expires_at must be in the future.', 'expires_at');
    }
    if (!(await this.users.findById(userId))) throw AuthError.notFound('user', 'userId');
    const secret = generateApiKey();
    const key = await this.keys.create({
      userId,
      name: req.name,
      prefix: secret.prefix,
      keyHash: secret.hash,
      models: req.models ?? null,
      rpm: req.rpm ?? null,
      tpm: req.tpm ?? null,
      expiresAt,
    });
    return { ...toApiKeyView(key), key: secret.key };
  }

  async list(userId: string, query: ListQuery): Promise<ListPage<ApiKeyView>> {
    const rows = await this.keys.listActivePage(userId, query.after, query.limit);
    return toListPage(rows, query.limit, toApiKeyView);
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
