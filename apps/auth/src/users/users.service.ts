import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import {
  AuthErrorCode,
  ListPage,
  ListQuery,
  Principal,
  RegisterRequest,
  UpdateUserRequest,
  UserView,
} from '@llmp/contracts';
import { toListPage } from '@llmp/platform';
import { authConfig } from '../config/auth.config';
import { isUuid } from '../common/ids';
import { AuthError } from '../errors/auth.error';
import { AuthEventsPublisher } from '../events/auth-events.publisher';
import { RefreshTokensRepository } from '../tokens/refresh-tokens.repository';
import { PasswordHasher } from './password-hasher';
import { checkPasswordStrength } from './password-policy';
import { LimitDefaults, userPrincipal } from './principal';
import { UsersRepository } from './users.repository';
import { toUserView } from './user.view';

@Injectable()
export class UsersService {
  private readonly limits: LimitDefaults;

  constructor(
    private readonly users: UsersRepository,
    private readonly refreshTokens: RefreshTokensRepository,
    private readonly hasher: PasswordHasher,
    private readonly events: AuthEventsPublisher,
    @Inject(authConfig.KEY) cfg: ConfigType<typeof authConfig>,
  ) {
    this.limits = { user: cfg.defaultUserLimits, key: cfg.defaultKeyLimits };
  }

  async register(req: RegisterRequest): Promise<UserView> {
    const weak = checkPasswordStrength(req.password, req.username);
    if (weak) {
      throw new AuthError(
        AuthErrorCode.WeakPassword,
        `Password too weak (${weak.rule}): it ${weak.message}.`,
        'password',
      );
    }
    if (await this.users.findByUsername(req.username)) throw usernameTaken();
    const passwordHash = await this.hasher.hash(req.password);
    const user = await this.users.createIfUsernameFree({
      username: req.username,
      email: req.email ?? null,
      passwordHash,
      role: 'user',
    });
    if (!user) throw usernameTaken();
    return toUserView(user);
  }

  async me(userId: string): Promise<UserView> {
    const user = await this.users.findById(userId);
    if (!user) throw AuthError.notFound('user', 'userId');
    return toUserView(user);
  }

  /** The principal of a JWT caller; null when the user is unknown or disabled. */
  async principal(userId: string): Promise<Principal | null> {
    const user = await this.users.findById(userId);
    return user ? userPrincipal(user, this.limits) : null;
  }

  async list(query: ListQuery): Promise<ListPage<UserView>> {
    const rows = await this.users.listPage(query.after, query.limit);
    return toListPage(rows, query.limit, toUserView);
  }

  /**
   * Admin changes. Disabling also revokes the user's refresh tokens; every change is pushed as `user.changed` so
   * gateways drop the user's cached principals. The last enabled admin cannot be disabled or demoted.
   */
  async update(id: string, changes: UpdateUserRequest): Promise<UserView> {
    const current = isUuid(id) ? await this.users.findById(id) : null;
    if (!current) throw AuthError.notFound('user');
    const losesAdmin = changes.disabled === true || (changes.role !== undefined && changes.role !== 'admin');
    if (current.role === 'admin' && !current.disabledAt && losesAdmin) {
      if ((await this.users.countOtherEnabledAdmins(id)) === 0) {
        throw new AuthError(
          AuthErrorCode.InvalidRequest,
          'At least one enabled admin must remain: this is the last one.',
          changes.disabled === true ? 'disabled' : 'role',
        );
      }
    }
    const updated = await this.users.update(id, {
      disabled: changes.disabled,
      role: changes.role,
      rpmLimit: changes.rpm_limit,
      tpmLimit: changes.tpm_limit,
      monthlyBudget: changes.monthly_budget,
    });
    if (!updated) throw AuthError.notFound('user');
    if (changes.disabled === true) await this.refreshTokens.revokeAllOfUser(id);
    await this.events.publish({ type: 'user.changed', userId: id });
    return toUserView(updated);
  }
}

function usernameTaken(): AuthError {
  return new AuthError(AuthErrorCode.UsernameTaken, 'This username is already taken.', 'username');
}
