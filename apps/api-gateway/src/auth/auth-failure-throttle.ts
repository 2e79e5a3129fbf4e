import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { ApiError, ApiErrorCode, RateLimiter } from '@llmp/platform';
import { gatewayConfig } from '../config/gateway.config';

const MAX_BLOCKED = 100_000;

/**
 * Failed authentications per client IP. Each failure takes one unit from the IP's bucket in Redis (shared by
 * every replica); once it is empty the IP is blocked in this replica's memory until the bucket has room again, so
 * a flood of made-up credentials is refused before it costs an RPC or a database lookup, and successful requests
 * pay nothing for the check (no Redis call). A replica that has not seen the IP's failures yet learns it with
 * the next one.
 */
@Injectable()
export class AuthFailureThrottle {
  private readonly blockedUntil = new Map<string, number>();

  constructor(
    private readonly limiter: RateLimiter,
    @Inject(gatewayConfig.KEY) private readonly cfg: ConfigType<typeof gatewayConfig>,
  ) {}

  /** 429 with Retry-After while `ip` is blocked. */
  check(ip: string, now = Date.now()): void {
    const until = this.blockedUntil.get(ip);
    if (until === undefined) return;
    if (until <= now) {
      this.blockedUntil.delete(ip);
      return;
    }
    const retryAfter = Math.max(1, Math.ceil((until - now) / 1000));
    throw new ApiError(
      ApiErrorCode.RateLimitExceeded,
      `Too many failed authentication attempts from your address. Please try again in ${retryAfter}s.`,
      null,
      { headers: { 'retry-after': String(retryAfter) }, type: 'requests' },
    );
  }

  /** Records a failed authentication of `ip`; blocks it when its allowance is spent. */
  async failed(ip: string): Promise<void> {
    const result = await this.limiter.take([
      { id: `authfail:ip:${ip}`, perMinute: this.cfg.authFailuresPerIpPerMin, cost: 1 },
    ]);
    if (result.allowed) return;
    if (this.blockedUntil.size >= MAX_BLOCKED) {
      const oldest = this.blockedUntil.keys().next().value;
      if (oldest !== undefined) this.blockedUntil.delete(oldest);
    }
    this.blockedUntil.set(ip, Date.now() + Math.max(1000, result.retryAfterMs));
  }
}
