import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { AuthErrorCode } from '@llmp/contracts';
import { RedisFactory, platformConfig } from '@llmp/platform';
import { authConfig } from '../config/auth.config';
import { AuthError } from '../errors/auth.error';
import { LOGIN_FAILURE_WINDOW_S, lockoutSeconds } from './lockout';

/**
 * Login throttling in Redis, shared by every replica. Failures are counted per username (case-insensitive) and
 * per client IP over 15 minutes; from AUTH_LOGIN_MAX_FAILURES on (AUTH_LOGIN_MAX_FAILURES_PER_IP for an IP, higher
 * because users share addresses), each failure locks that subject out (30 s,
 * doubling, at most 15 min) and attempts during a lock-out are refused before any password is checked.
 * A successful login clears the username's counter (not the IP's).
 */
@Injectable()
export class LoginThrottle {
  private readonly prefix: string;

  constructor(
    private readonly redis: RedisFactory,
    @Inject(platformConfig.KEY) platform: ConfigType<typeof platformConfig>,
    @Inject(authConfig.KEY) private readonly cfg: ConfigType<typeof authConfig>,
  ) {
    this.prefix = `${platform.queuePrefix}:auth:login`;
  }

  /** Throws too_many_attempts (with retryAfter seconds) while the username or the IP is locked out. */
  async assertAllowed(username: string, ip: string): Promise<void> {
    const ttls = await Promise.all(this.subjects(username, ip).map((s) => this.redis.client().pttl(this.lockKey(s))));
    const lockedMs = Math.max(0, ...ttls);
    if (lockedMs > 0) {
      const retryAfter = Math.ceil(lockedMs / 1000);
      throw new AuthError(
        AuthErrorCode.TooManyAttempts,
        `Too many failed login attempts; try again in ${retryAfter} seconds.`,
        null,
        retryAfter,
      );
    }
  }

  async recordFailure(username: string, ip: string): Promise<void> {
    for (const subject of this.subjects(username, ip)) {
      const key = this.failKey(subject);
      const results = await this.redis.client().multi().incr(key).expire(key, LOGIN_FAILURE_WINDOW_S, 'NX').exec();
      const failures = Number(results?.[0]?.[1] ?? 0);
      const max = subject.startsWith('ip:') ? this.cfg.loginMaxFailuresPerIp : this.cfg.loginMaxFailures;
      const lockS = lockoutSeconds(failures, max);
      if (lockS > 0) await this.redis.client().set(this.lockKey(subject), String(failures), 'EX', lockS);
    }
  }

  async recordSuccess(username: string): Promise<void> {
    const subject = this.userSubject(username);
    await this.redis.client().del(this.failKey(subject), this.lockKey(subject));
  }

  private subjects(username: string, ip: string): string[] {
    return ip ? [this.userSubject(username), `ip:${ip}`] : [this.userSubject(username)];
  }

  private userSubject(username: string): string {
    return `user:${username.toLowerCase()}`;
  }

  private failKey(subject: string): string {
    return `${this.prefix}:fail:${subject}`;
  }

  private lockKey(subject: string): string {
    return `${this.prefix}:lock:${subject}`;
  }
}
