import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { createHash } from 'node:crypto';
import { JSONWebKeySet, createLocalJWKSet, errors as joseErrors, jwtVerify } from 'jose';
import { AuthEventSchema, NullablePrincipalSchema, Principal, authEventsChannel } from '@llmp/contracts';
import { ApiError, ApiErrorCode, RedisFactory, platformConfig } from '@llmp/platform';
import { gatewayConfig } from '../config/gateway.config';
import { AuthRpcClient } from './auth-rpc.client';
import { PrincipalCache } from './principal-cache';

const JWKS_REFRESH_MIN_INTERVAL_MS = 10_000;

/**
 * Turns a presented credential into a Principal. API keys (`sk-…`) are looked up by their sha256 through the
 * auth service; JWTs are verified here against the auth service's public keys (EdDSA, issuer, audience, expiry)
 * and the user is then looked up, so a disabled user is refused even with an unexpired token. Answers are cached
 * briefly and dropped the moment the auth service pushes a revocation.
 */
@Injectable()
export class PrincipalResolver implements OnModuleInit {
  private readonly logger = new Logger(PrincipalResolver.name);
  private readonly cache: PrincipalCache;
  /** Bumped on every pushed change: a lookup that started before a change is not cached. */
  private generation = 0;
  private jwks: ReturnType<typeof createLocalJWKSet> | null = null;
  private jwksFetchedAt = 0;

  constructor(
    private readonly rpc: AuthRpcClient,
    private readonly redis: RedisFactory,
    @Inject(platformConfig.KEY) private readonly platform: ConfigType<typeof platformConfig>,
    @Inject(gatewayConfig.KEY) private readonly cfg: ConfigType<typeof gatewayConfig>,
  ) {
    this.cache = new PrincipalCache(cfg.principalCacheTtlMs, Math.min(cfg.principalCacheTtlMs, 5000));
  }

  async onModuleInit(): Promise<void> {
    const sub = this.redis.create('auth-events');
    sub.on('message', (_c: string, message: string) => this.onEvent(message));
    // After a reconnect, pushes sent meanwhile are lost: start from an empty cache.
    sub.on('ready', () => this.cache.clear());
    await sub.subscribe(authEventsChannel(this.platform.queuePrefix));
  }

  /** The principal of a credential already verified and cached here, without any I/O; null otherwise. */
  cachedValid(credential: string): Principal | null {
    if (!credential.startsWith('sk-')) return null; // tokens are verified on every request (cheap, local)
    const principal = this.cache.get(`k:${createHash('sha256').update(credential).digest('hex')}`);
    if (!principal) return null;
    if (principal.expiresAt !== null && principal.expiresAt * 1000 <= Date.now()) return null;
    return principal;
  }

  async resolve(credential: string): Promise<Principal> {
    const principal = credential.startsWith('sk-') ? await this.fromApiKey(credential) : await this.fromJwt(credential);
    if (principal.expiresAt !== null && principal.expiresAt * 1000 <= Date.now()) {
      throw new ApiError(ApiErrorCode.InvalidApiKey, 'This API key has expired.');
    }
    return principal;
  }

  private async fromApiKey(key: string): Promise<Principal> {
    const keyHash = createHash('sha256').update(key).digest('hex');
    const principal = await this.cached(`k:${keyHash}`, () => this.rpc.call('keyPrincipal', { keyHash }));
    if (!principal) throw new ApiError(ApiErrorCode.InvalidApiKey, 'Incorrect API key provided.');
    return principal;
  }

  private async fromJwt(token: string): Promise<Principal> {
    let userId: string;
    try {
      const { payload } = await jwtVerify(token, await this.keySet(false), {
        issuer: this.cfg.jwtIssuer,
        audience: this.cfg.jwtAudience,
        algorithms: ['EdDSA'],
        requiredClaims: ['exp', 'sub'],
      }).catch(async (err) => {
        // A key rotated since we fetched the set: fetch it again (rate-limited) and retry once.
        if (err instanceof joseErrors.JWKSNoMatchingKey) {
          return jwtVerify(token, await this.keySet(true), {
            issuer: this.cfg.jwtIssuer,
            audience: this.cfg.jwtAudience,
            algorithms: ['EdDSA'],
            requiredClaims: ['exp', 'sub'],
          });
        }
        throw err;
      });
      if (typeof payload.sub !== 'string') throw new Error('no subject');
      userId = payload.sub;
    } catch (err) {
      if (err instanceof ApiError) throw err;
      const expired = err instanceof joseErrors.JWTExpired;
      throw new ApiError(
        ApiErrorCode.InvalidToken,
        expired ? 'The access token has expired.' : 'Invalid access token.',
      );
    }
    const principal = await this.cached(`u:${userId}`, () => this.rpc.call('userPrincipal', { userId }));
    if (!principal)
      throw new ApiError(ApiErrorCode.InvalidToken, 'The user of this token is disabled or no longer exists.');
    return principal;
  }

  private async cached(cacheKey: string, fetch: () => Promise<unknown>): Promise<Principal | null> {
    const hit = this.cache.get(cacheKey);
    if (hit !== undefined) return hit;
    const generation = this.generation;
    const principal = NullablePrincipalSchema.parse(await fetch());
    if (generation === this.generation) this.cache.set(cacheKey, principal);
    return principal;
  }

  private async keySet(refresh: boolean): Promise<ReturnType<typeof createLocalJWKSet>> {
    // Refetched on a TTL too, so a key the auth service retired stops verifying without a restart.
    const age = Date.now() - this.jwksFetchedAt;
    const stale = !this.jwks || age > this.cfg.jwksTtlMs || (refresh && age > JWKS_REFRESH_MIN_INTERVAL_MS);
    if (stale) {
      const jwks = await this.rpc.call<JSONWebKeySet>('jwks', {});
      this.jwks = createLocalJWKSet(jwks);
      this.jwksFetchedAt = Date.now();
    }
    return this.jwks!;
  }

  private onEvent(message: string): void {
    let event;
    try {
      event = AuthEventSchema.parse(JSON.parse(message));
    } catch {
      this.logger.warn(`ignoring malformed auth event: ${message.slice(0, 200)}`);
      return;
    }
    this.generation++;
    switch (event.type) {
      case 'api_key.revoked':
        this.cache.evictKey(event.keyId);
        break;
      case 'user.changed':
        this.cache.evictUser(event.userId);
        break;
    }
  }
}
