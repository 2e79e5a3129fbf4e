import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { createHash } from 'node:crypto';
import { GenerationResult, Principal } from '@llmp/contracts';
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
 *
 * Hits are the hot path (the benchmark's target is 2,000 a second per core), so a hit costs one Redis GET: entries
 * are only ever written by this class, under a key carrying the entry format's version (bump ENTRY_VERSION when
 * GenerationResult changes), so they are read back without re-validation; and the hit and miss counters are
 * summed in memory and added to Redis once a second.
 */
const ENTRY_VERSION = 'v1';
const COUNTER_FLUSH_MS = 1000;

@Injectable()
export class ResponseCache implements OnModuleDestroy {
  private readonly logger = new Logger(ResponseCache.name);
  private readonly prefix: string;
  private readonly pending = { hits: 0, misses: 0 };
  private flushTimer: NodeJS.Timeout | null = null;

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
    return `${this.prefix}:e${ENTRY_VERSION}:${scope}:${hash}`;
  }

  async get(key: string): Promise<GenerationResult | null> {
    try {
      const raw = await this.redis.requestClient().get(key);
      this.count(raw ? 'hits' : 'misses');
      return raw ? (JSON.parse(raw) as GenerationResult) : null;
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
    await this.flush();
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

  private count(what: 'hits' | 'misses'): void {
    this.pending[what]++;
    this.flushTimer ??= setTimeout(() => void this.flush(), COUNTER_FLUSH_MS).unref();
  }

  /** Adds the counts summed since the last flush to Redis (lost only if Redis is unreachable then). */
  private async flush(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    const { hits, misses } = this.pending;
    if (!hits && !misses) return;
    this.pending.hits = this.pending.misses = 0;
    await this.redis
      .requestClient()
      .multi()
      .incrby(`${this.prefix}:hits`, hits)
      .incrby(`${this.prefix}:misses`, misses)
      .exec()
      .catch(() => undefined);
  }

  async onModuleDestroy(): Promise<void> {
    await this.flush();
  }
}
