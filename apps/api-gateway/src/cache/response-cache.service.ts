import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { createHash } from 'node:crypto';
import { GenerationResult, GenerationResultSchema, Principal } from '@llmp/contracts';
import { RedisFactory, platformConfig } from '@llmp/platform';
import { gatewayConfig } from '../config/gateway.config';

export interface CacheStats {
  hits: number;
  misses: number;
  ratio: number | null;
  entries: number;
}

/**
 * Whole generations kept in Redis for deterministic requests (temperature 0, or a seed), keyed on the normalized
 * request: endpoint, model, the job's messages, sampling, tools and format. Scoped per user unless the operator
 * shares the cache (RESPONSE_CACHE_SHARED), so nobody reads another user's answer. The endpoints decide what may
 * be cached: never a confidential request, a dry run, or one derived from a stored conversation or the caller's
 * documents (such entries would outlive the deletion of what they came from). Redis trouble never fails a request:
 * the cache is skipped.
 */
@Injectable()
export class ResponseCache {
  private readonly logger = new Logger(ResponseCache.name);
  private readonly prefix: string;

  constructor(
    private readonly redis: RedisFactory,
    @Inject(platformConfig.KEY) platform: ConfigType<typeof platformConfig>,
    @Inject(gatewayConfig.KEY) private readonly cfg: ConfigType<typeof gatewayConfig>,
  ) {
    this.prefix = `${platform.queuePrefix}:rcache`;
  }

  get enabled(): boolean {
    return this.cfg.responseCacheTtlS > 0;
  }

  /** Whether sampling makes the answer reproducible: greedy decoding, or a fixed seed. */
  static deterministic(s: { temperature?: number; seed?: number }): boolean {
    return s.temperature === 0 || s.seed !== undefined;
  }

  /** The entry's key: the caller's scope and a hash of the request's normalized parts. */
  key(p: Principal, endpoint: string, parts: unknown): string {
    const scope = this.cfg.responseCacheShared ? 'shared' : `u:${p.userId}`;
    const hash = createHash('sha256')
      .update(JSON.stringify([endpoint, parts]))
      .digest('base64url');
    return `${this.prefix}:e:${scope}:${hash}`;
  }

  async get(key: string): Promise<GenerationResult | null> {
    try {
      const raw = await this.redis.requestClient().get(key);
      void this.count(raw ? 'hits' : 'misses');
      if (!raw) return null;
      const parsed = GenerationResultSchema.safeParse(JSON.parse(raw));
      return parsed.success ? parsed.data : null;
    } catch (err) {
      this.logger.warn(`response cache read skipped: ${(err as Error).message}`);
      return null;
    }
  }

  async put(key: string, result: GenerationResult): Promise<void> {
    if (result.finishReason === 'cancelled') return;
    const ttl = this.cfg.responseCacheTtlS;
    const now = Date.now();
    try {
      await this.redis
        .requestClient()
        .multi()
        .set(key, JSON.stringify(result), 'EX', ttl)
        // The index of live entries for /status: expiry time by key, pruned as it is read.
        .zadd(`${this.prefix}:index`, now + ttl * 1000, key)
        .exec();
    } catch (err) {
      this.logger.warn(`response cache write skipped: ${(err as Error).message}`);
    }
  }

  async stats(): Promise<CacheStats> {
    const redis = this.redis.requestClient();
    const now = Date.now();
    const [[, hits], [, misses], , [, entries]] = (await redis
      .multi()
      .get(`${this.prefix}:hits`)
      .get(`${this.prefix}:misses`)
      .zremrangebyscore(`${this.prefix}:index`, 0, now)
      .zcard(`${this.prefix}:index`)
      .exec()) as [unknown, string | null][];
    const h = Number(hits ?? 0);
    const m = Number(misses ?? 0);
    return { hits: h, misses: m, ratio: h + m ? h / (h + m) : null, entries: Number(entries ?? 0) };
  }

  private async count(what: 'hits' | 'misses'): Promise<void> {
    await this.redis
      .requestClient()
      .incr(`${this.prefix}:${what}`)
      .catch(() => undefined);
  }
}
