import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { AuthErrorCode } from '@llmp/contracts';
import { RedisFactory, platformConfig } from '@llmp/platform';
import { authConfig } from '../config/auth.config';
import { AuthError } from '../errors/auth.error';
import { throttleAddress } from './client-address';
import { LOGIN_FAILURE_WINDOW_S, lockoutSchedule } from './lockout';
import { LOGIN_BEGIN_LUA, LOGIN_END_LUA } from './login-throttle.lua';

type ThrottleRedis = Redis & {
  loginBegin(numKeys: number, ...args: (string | number)[]): Promise<number>;
  loginEnd(numKeys: number, ...args: string[]): Promise<number>;
};

interface Subject {
  /** `pair:<address>|<username>` or `ip:<address>`. */
  id: string;
  max: number;
  /** Whether a right password forgets this subject's failures (the pair) or only takes the attempt back (the IP). */
  clearOnSuccess: boolean;
}

/** A login attempt let through: counted as a failure until `succeeded` or `abandoned` says otherwise. */
export interface LoginAttempt {
  id: string;
  subjects: Subject[];
}

/**
 * Login throttling in Redis, shared by every replica. Failures are counted over 15 minutes per (username, client
 * address) pair, AUTH_LOGIN_MAX_FAILURES, and per client address, AUTH_LOGIN_MAX_FAILURES_PER_IP (higher, since
 * users share addresses); never per username alone, so nobody can lock a user out from addresses of their own.
 * From the limit on, each failure locks that subject out (30 s, doubling, at most 15 min), and attempts during a
 * lock-out are refused before any password is checked.
 *
 * Atomic: `begin` counts the attempt as a failure before the password is checked, in one Lua call with the lock
 * check, so a burst of parallel attempts is cut at exactly the limit; a right password then clears the pair and
 * takes the attempt back from the address.
 */
@Injectable()
export class LoginThrottle implements OnModuleInit {
  private readonly prefix: string;
  private readonly schedule = lockoutSchedule().join(',');
  private redis!: ThrottleRedis;

  constructor(
    private readonly redisFactory: RedisFactory,
    @Inject(platformConfig.KEY) platform: ConfigType<typeof platformConfig>,
    @Inject(authConfig.KEY) private readonly cfg: ConfigType<typeof authConfig>,
  ) {
    this.prefix = `${platform.queuePrefix}:auth:login`;
  }

  onModuleInit(): void {
    const redis = this.redisFactory.client() as ThrottleRedis;
    if (!(redis as Partial<ThrottleRedis>).loginBegin) redis.defineCommand('loginBegin', { lua: LOGIN_BEGIN_LUA });
    if (!(redis as Partial<ThrottleRedis>).loginEnd) redis.defineCommand('loginEnd', { lua: LOGIN_END_LUA });
    this.redis = redis;
  }

  /** Lets an attempt through, counted as a failure; throws too_many_attempts (retryAfter seconds) during a lock-out. */
  async begin(username: string, ip: string): Promise<LoginAttempt> {
    const attempt: LoginAttempt = { id: randomUUID(), subjects: this.subjects(username, ip) };
    const lockedMs = await this.redis.loginBegin(
      attempt.subjects.length * 2,
      ...this.keys(attempt),
      attempt.id,
      LOGIN_FAILURE_WINDOW_S * 1000,
      this.schedule,
      ...attempt.subjects.map((s) => s.max),
    );
    if (lockedMs > 0) {
      const retryAfter = Math.ceil(lockedMs / 1000);
      throw new AuthError(
        AuthErrorCode.TooManyAttempts,
        `Too many failed login attempts; try again in ${retryAfter} seconds.`,
        null,
        retryAfter,
      );
    }
    return attempt;
  }

  /** The password was right: the pair's failures are forgotten, the address gets the attempt back. */
  async succeeded(attempt: LoginAttempt): Promise<void> {
    await this.end(attempt, (s) => (s.clearOnSuccess ? 'clear' : 'undo'));
  }

  /** The attempt ended without an answer on the password (an internal error): it counts for nothing. */
  async abandoned(attempt: LoginAttempt): Promise<void> {
    await this.end(attempt, () => 'undo');
  }

  private async end(attempt: LoginAttempt, mode: (s: Subject) => 'clear' | 'undo'): Promise<void> {
    await this.redis.loginEnd(
      attempt.subjects.length * 2,
      ...this.keys(attempt),
      attempt.id,
      ...attempt.subjects.map(mode),
    );
  }

  private subjects(username: string, ip: string): Subject[] {
    const address = throttleAddress(ip);
    // The address comes first: it never contains '|', so no username can make two pairs collide.
    const pair: Subject = {
      id: `pair:${address}|${username.toLowerCase()}`,
      max: this.cfg.loginMaxFailures,
      clearOnSuccess: true,
    };
    if (!address) return [pair];
    return [pair, { id: `ip:${address}`, max: this.cfg.loginMaxFailuresPerIp, clearOnSuccess: false }];
  }

  private keys(attempt: LoginAttempt): string[] {
    return attempt.subjects.flatMap((s) => [`${this.prefix}:fail:${s.id}`, `${this.prefix}:lock:${s.id}`]);
  }
}
