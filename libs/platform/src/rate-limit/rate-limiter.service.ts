import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { Redis } from 'ioredis';
import { platformConfig } from '../config/platform.config';
import { RedisFactory } from '../redis/redis.factory';
import { TOKEN_BUCKET_LUA } from './token-bucket.lua';

export interface Bucket {
  /** Stable name, e.g. `key:<id>:rpm`. */
  id: string;
  /** Allowance per minute. */
  perMinute: number;
  cost: number;
}

export interface BucketState {
  id: string;
  limit: number;
  remaining: number;
  /** Milliseconds until the bucket is full again. */
  resetMs: number;
}

export interface TakeResult {
  allowed: boolean;
  /** Milliseconds until the request would fit; -1 when it never can (cost above the limit). */
  retryAfterMs: number;
  states: BucketState[];
}

type TokenBucketRedis = Redis & {
  tokenBucket(numKeys: number, ...args: (string | number)[]): Promise<number[]>;
};

/** Exact, cluster-wide rate limits: every check is one atomic Lua call over all the buckets it concerns. */
@Injectable()
export class RateLimiter implements OnModuleInit {
  private redis!: TokenBucketRedis;

  constructor(
    private readonly redisFactory: RedisFactory,
    @Inject(platformConfig.KEY) private readonly platform: ConfigType<typeof platformConfig>,
  ) {}

  onModuleInit(): void {
    const redis = this.redisFactory.requestClient();
    if (!(redis as unknown as Partial<TokenBucketRedis>).tokenBucket)
      redis.defineCommand('tokenBucket', { lua: TOKEN_BUCKET_LUA });
    this.redis = redis as unknown as TokenBucketRedis;
  }

  /** Takes `cost` from every bucket, or from none when one lacks it. */
  take(buckets: Bucket[]): Promise<TakeResult> {
    return this.run('take', buckets);
  }

  /** Adds `cost` (negative: gives back) to every bucket; used to reconcile a reservation with actual usage. */
  async adjust(buckets: Bucket[]): Promise<void> {
    if (buckets.some((b) => b.cost !== 0)) await this.run('adjust', buckets);
  }

  private async run(mode: 'take' | 'adjust', buckets: Bucket[]): Promise<TakeResult> {
    if (buckets.length === 0) return { allowed: true, retryAfterMs: 0, states: [] };
    const keys = buckets.map((b) => `${this.platform.queuePrefix}:rl:${b.id}`);
    const args = buckets.flatMap((b) => [b.perMinute, b.cost]);
    const out = await this.redis.tokenBucket(keys.length, ...keys, mode, ...args);
    return {
      allowed: out[0] === 1,
      retryAfterMs: out[1]!,
      states: buckets.map((b, i) => ({
        id: b.id,
        limit: b.perMinute,
        remaining: Math.max(0, out[2 + 2 * i]!),
        resetMs: out[3 + 2 * i]!,
      })),
    };
  }
}
