import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AuthErrorCode, TokenResponse } from '@llmp/contracts';
import { authConfig } from '../config/auth.config';
import { generateRefreshToken, sha256Hex } from '../common/secrets';
import { AuthError } from '../errors/auth.error';
import { AccessTokenSigner } from '../signing/access-token.signer';
import { PasswordHasher } from '../users/password-hasher';
import type { UserEntity } from '../users/user.entity';
import { UsersRepository } from '../users/users.repository';
import { LoginThrottle } from './login-throttle.service';
import { RefreshTokensRepository } from './refresh-tokens.repository';

type Rotation = { kind: 'rotated'; userId: string; familyId: string } | { kind: 'reused' } | { kind: 'invalid' };

/**
 * Login, refresh and logout. Refresh tokens rotate: each is good for one refresh, which issues the next token of
 * the same family; presenting a token a second time revokes the whole family (the token was stolen, or the client
 * is broken).
 */
@Injectable()
export class TokensService {
  constructor(
    private readonly users: UsersRepository,
    private readonly refreshTokens: RefreshTokensRepository,
    private readonly hasher: PasswordHasher,
    private readonly throttle: LoginThrottle,
    private readonly signer: AccessTokenSigner,
    private readonly dataSource: DataSource,
    @Inject(authConfig.KEY) private readonly cfg: ConfigType<typeof authConfig>,
  ) {}

  async issue(req: { username: string; password: string; ip: string }): Promise<TokenResponse> {
    // Counted as a failure from here on, until the password is found right.
    const attempt = await this.throttle.begin(req.username, req.ip);
    let user: UserEntity | null;
    let ok: boolean;
    try {
      user = await this.users.findByUsername(req.username);
      ok = user
        ? await this.hasher.verify(user.passwordHash, req.password)
        : await this.hasher.verifyDummy(req.password);
    } catch (err) {
      await this.throttle.abandoned(attempt).catch(() => undefined);
      throw err;
    }
    if (!user || !ok || user.disabledAt) {
      throw new AuthError(AuthErrorCode.InvalidCredentials, 'Incorrect username or password.');
    }
    await this.throttle.succeeded(attempt);
    return this.issuePair(user, randomUUID());
  }

  async refresh(refreshToken: string): Promise<TokenResponse> {
    const next = generateRefreshToken();
    const rotation = await this.dataSource.transaction(async (em): Promise<Rotation> => {
      const row = await this.refreshTokens.findByHashForUpdate(sha256Hex(refreshToken), em);
      if (!row) return { kind: 'invalid' };
      if (row.usedAt) {
        await this.refreshTokens.revokeFamily(row.familyId, em);
        return { kind: 'reused' };
      }
      if (row.revokedAt || row.expiresAt.getTime() <= Date.now()) return { kind: 'invalid' };
      await this.refreshTokens.markUsed(row.id, em);
      await this.refreshTokens.insert(
        { userId: row.userId, familyId: row.familyId, tokenHash: next.hash, expiresAt: this.refreshExpiry() },
        em,
      );
      return { kind: 'rotated', userId: row.userId, familyId: row.familyId };
    });
    if (rotation.kind === 'reused') {
      throw new AuthError(
        AuthErrorCode.InvalidToken,
        'Refresh token reuse detected: every session token of this login has been revoked; sign in again.',
        'refresh_token',
      );
    }
    if (rotation.kind === 'invalid') throw invalidRefreshToken();
    const user = await this.users.findById(rotation.userId);
    if (!user || user.disabledAt) {
      await this.refreshTokens.revokeFamily(rotation.familyId);
      throw invalidRefreshToken();
    }
    return this.response(user, next.token);
  }

  /** Logout: revokes the login (token family) the refresh token belongs to, if it is the caller's. */
  async revoke(refreshToken: string, userId: string): Promise<{ revoked: true }> {
    const row = await this.refreshTokens.findByHash(sha256Hex(refreshToken));
    if (!row || row.userId !== userId) throw AuthError.notFound('refresh token', 'refresh_token');
    await this.refreshTokens.revokeFamily(row.familyId);
    return { revoked: true };
  }

  private async issuePair(user: UserEntity, familyId: string): Promise<TokenResponse> {
    const refresh = generateRefreshToken();
    await this.refreshTokens.insert({
      userId: user.id,
      familyId,
      tokenHash: refresh.hash,
      expiresAt: this.refreshExpiry(),
    });
    return this.response(user, refresh.token);
  }

  private async response(user: UserEntity, refreshToken: string): Promise<TokenResponse> {
    return {
      access_token: await this.signer.sign(user),
      token_type: 'bearer',
      expires_in: this.signer.ttlSeconds,
      refresh_token: refreshToken,
    };
  }

  private refreshExpiry(): Date {
    return new Date(Date.now() + this.cfg.refreshTokenTtlS * 1000);
  }
}

function invalidRefreshToken(): AuthError {
  return new AuthError(AuthErrorCode.InvalidToken, 'Invalid or expired refresh token.', 'refresh_token');
}
