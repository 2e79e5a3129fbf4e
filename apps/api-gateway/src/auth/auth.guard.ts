import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Reflector } from '@nestjs/core';
import type { FastifyReply } from 'fastify';
import { Principal, SCOPES, Scope } from '@llmp/contracts';
import { ApiError, ApiErrorCode, RateLimiter } from '@llmp/platform';
import { gatewayConfig } from '../config/gateway.config';
import { AuthFailureThrottle } from './auth-failure-throttle';
import type { AuthenticatedRequest } from './current-principal.decorator';
import { PrincipalResolver } from './principal-resolver.service';
import { PUBLIC_ROUTE } from './public.decorator';
import { ANY_SCOPE, REQUIRED_SCOPE, assertScope } from './require-scope.decorator';
import { rateLimitError, requestBuckets, setRateLimitHeaders } from '../metering/rate-limit.policy';

/**
 * Every /v1 route needs an API key (`Authorization: Bearer sk-…` or `X-API-Key`) or an access token, unless
 * marked @Public (then it is limited per client IP). Each request takes one unit from the caller's request
 * buckets (key and user) atomically, and every response carries the `x-ratelimit-*` headers.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly resolver: PrincipalResolver,
    private readonly limiter: RateLimiter,
    private readonly failures: AuthFailureThrottle,
    @Inject(gatewayConfig.KEY) private readonly cfg: ConfigType<typeof gatewayConfig>,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<AuthenticatedRequest>();
    const reply = ctx.switchToHttp().getResponse<FastifyReply>();
    if (!(req.routeOptions.url ?? req.url).startsWith('/v1/')) return true;

    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, [ctx.getHandler(), ctx.getClass()])) {
      const result = await this.limiter.take([{ id: `ip:${req.ip}:rpm`, perMinute: this.cfg.anonIpRpm, cost: 1 }]);
      setRateLimitHeaders(reply, result.states);
      if (!result.allowed) throw rateLimitError(result, 'requests');
      return true;
    }

    if (!this.cfg.authRequired) {
      req.principal = LOCAL_PRINCIPAL;
      return true;
    }

    const credential = extractCredential(req);
    if (!credential) {
      throw new ApiError(
        ApiErrorCode.InvalidApiKey,
        "You didn't provide an API key. Send it as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'.",
      );
    }
    // A caller whose address is blocked for failed attempts still gets in with a credential known to be valid
    // (others behind the same NAT), but no unknown credential from it reaches the auth service.
    let principal = this.resolver.cachedValid(credential);
    if (!principal) {
      this.failures.check(req.ip);
      principal = await this.resolver.resolve(credential).catch(async (err: unknown) => {
        if (err instanceof ApiError && UNAUTHENTICATED.has(err.code)) await this.failures.failed(req.ip);
        throw err;
      });
    }
    req.principal = principal;
    const scope = this.reflector.getAllAndOverride<Scope | typeof ANY_SCOPE | undefined>(REQUIRED_SCOPE, [
      ctx.getHandler(),
      ctx.getClass(),
    ]);
    if (!scope) throw new Error(`route ${req.routeOptions.url ?? req.url} declares no scope`);
    if (scope !== ANY_SCOPE) assertScope(principal, scope);
    // Only the request buckets here (measured: each bucket costs Redis ~8 µs); token buckets are charged, and
    // their headers set, by the routes that spend tokens.
    const result = await this.limiter.take(requestBuckets(principal));
    setRateLimitHeaders(reply, result.states);
    if (!result.allowed) throw rateLimitError(result, 'requests');
    return true;
  }
}

const UNAUTHENTICATED = new Set<ApiErrorCode>([ApiErrorCode.InvalidApiKey, ApiErrorCode.InvalidToken]);

/** The caller when AUTH_REQUIRED=false: a local admin without limits. */
const LOCAL_PRINCIPAL: Principal = {
  userId: '00000000-0000-4000-8000-000000000000',
  username: 'local',
  role: 'admin',
  keyId: null,
  models: null,
  keyLimits: null,
  monthlyBudget: null,
  userLimits: { rpm: null, tpm: null },
  expiresAt: null,
  scopes: [...SCOPES],
};

function extractCredential(req: AuthenticatedRequest): string | null {
  const header = req.headers.authorization;
  if (typeof header === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (match) return match[1]!;
  }
  const key = req.headers['x-api-key'];
  return typeof key === 'string' && key.length > 0 ? key.trim() : null;
}
