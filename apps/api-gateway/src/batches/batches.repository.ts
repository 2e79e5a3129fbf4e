import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { Redis } from 'ioredis';
import type { BatchOutputLine, BatchStatus } from '@llmp/contracts';
import { RedisFactory, platformConfig } from '@llmp/platform';
import { BATCH_RETENTION_S } from './batch.constants';
import { BatchRecord, BatchRecordSchema, BatchTimestamp } from './batch-record';

/** A line's outcome as persisted: whether it goes to the output file (`ok`) or the error file, and its tokens. */
export interface StoredLine {
  ok: boolean;
  line: BatchOutputLine;
  inputTokens: number;
  outputTokens: number;
}

/**
 * KEYS: 1 the batch hash, 2 its lines hash. ARGV: 1 line index, 2 line JSON, 3 'completed'|'failed',
 * 4 input tokens, 5 output tokens. A line is recorded once: a second write of the same index changes nothing.
 */
const RECORD_LINE_LUA = `
if redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('HINCRBY', KEYS[1], ARGV[3], 1)
redis.call('HINCRBY', KEYS[1], 'input_tokens', ARGV[4])
redis.call('HINCRBY', KEYS[1], 'output_tokens', ARGV[5])
return 1
`;

/** KEYS: 1 the batch hash. ARGV: 1 new status, 2 timestamp field, 3 now, 4.. statuses it may come from. */
const TRANSITION_LUA = `
local current = redis.call('HGET', KEYS[1], 'status')
if not current then return nil end
for i = 4, #ARGV do
  if current == ARGV[i] then
    redis.call('HSET', KEYS[1], 'status', ARGV[1])
    if ARGV[2] ~= '' then redis.call('HSET', KEYS[1], ARGV[2], ARGV[3]) end
    return ARGV[1]
  end
end
return current
`;

type BatchRedis = Redis & {
  llmpBatchLine(...args: (string | number)[]): Promise<number>;
  llmpBatchTransition(...args: (string | number)[]): Promise<string | null>;
};

/**
 * Where batches live: Redis, beside the queues that run them. The gateway owns no database, and a batch is
 * orchestration state of the same lifetime and durability as its jobs (Redis with AOF in production, see k8s/):
 * one hash per batch, a per-user sorted set for listing (newest first), a hash of finished lines (the resume
 * point after a crash, emptied once the output files are written) and a set of the line jobs in flight. The files
 * themselves (input, output, errors) are stored by the rag service like every other file.
 */
@Injectable()
export class BatchesRepository {
  private readonly prefix: string;
  private redisConn: BatchRedis | undefined;

  constructor(
    private readonly redisFactory: RedisFactory,
    @Inject(platformConfig.KEY) platform: ConfigType<typeof platformConfig>,
  ) {
    this.prefix = `${platform.queuePrefix}:batch`;
  }

  private get redis(): BatchRedis {
    if (!this.redisConn) {
      const redis = this.redisFactory.client() as BatchRedis;
      if (!redis.llmpBatchLine) {
        redis.defineCommand('llmpBatchLine', { numberOfKeys: 2, lua: RECORD_LINE_LUA });
        redis.defineCommand('llmpBatchTransition', { numberOfKeys: 1, lua: TRANSITION_LUA });
      }
      this.redisConn = redis;
    }
    return this.redisConn;
  }

  private key(id: string, part = ''): string {
    return part ? `${this.prefix}:${id}:${part}` : `${this.prefix}:${id}`;
  }

  private userIndex(userId: string): string {
    return `${this.prefix}es:u:${userId}`;
  }

  async insert(fields: Record<string, string | number>, userId: string, createdAtMs: number): Promise<void> {
    await this.redis
      .multi()
      .hset(this.key(String(fields.id)), fields)
      .zadd(this.userIndex(userId), createdAtMs, String(fields.id))
      .exec();
  }

  async find(id: string): Promise<BatchRecord | null> {
    const raw = await this.redis.hgetall(this.key(id));
    if (!raw.id) return null;
    return BatchRecordSchema.parse(raw);
  }

  async findOwned(userId: string, id: string): Promise<BatchRecord | null> {
    const r = await this.find(id);
    return r && r.userId === userId ? r : null;
  }

  /** The user's batches, newest first, after the cursor `after` (a batch id); one more than `limit` to tell has_more. */
  async listPage(userId: string, after: string | undefined, limit: number): Promise<BatchRecord[]> {
    const index = this.userIndex(userId);
    let start = 0;
    if (after) {
      const rank = await this.redis.zrevrank(index, after);
      if (rank === null) return [];
      start = rank + 1;
    }
    const ids = await this.redis.zrevrange(index, start, start + limit);
    const records = await Promise.all(ids.map((id) => this.find(id)));
    const gone = ids.filter((_, i) => !records[i]);
    if (gone.length) await this.redis.zrem(index, ...gone);
    return records.filter((r): r is BatchRecord => r !== null);
  }

  async update(id: string, fields: Record<string, string | number>): Promise<void> {
    await this.redis.hset(this.key(id), fields);
  }

  async increment(id: string, field: 'runs'): Promise<number> {
    return this.redis.hincrby(this.key(id), field, 1);
  }

  /** Moves the batch to `to` (stamping `stamp` with now) if it is in one of `from`; answers the status it has now. */
  async transition(
    id: string,
    to: BatchStatus,
    from: BatchStatus[],
    stamp: BatchTimestamp | null,
  ): Promise<BatchStatus | null> {
    const now = Math.floor(Date.now() / 1000);
    const status = await this.redis.llmpBatchTransition(this.key(id), to, stamp ?? '', now, ...from);
    return status as BatchStatus | null;
  }

  /** Records a finished line (once per index) and its counts; false when it was already recorded. */
  async recordLine(id: string, index: number, stored: StoredLine): Promise<boolean> {
    const done = await this.redis.llmpBatchLine(
      this.key(id),
      this.key(id, 'lines'),
      index,
      JSON.stringify(stored),
      stored.ok ? 'completed' : 'failed',
      stored.inputTokens,
      stored.outputTokens,
    );
    return done === 1;
  }

  async doneLines(id: string): Promise<Set<number>> {
    return new Set((await this.redis.hkeys(this.key(id, 'lines'))).map(Number));
  }

  async lines(id: string): Promise<Map<number, StoredLine>> {
    const raw = await this.redis.hgetall(this.key(id, 'lines'));
    return new Map(Object.entries(raw).map(([k, v]) => [Number(k), JSON.parse(v) as StoredLine]));
  }

  /** Line jobs in flight (`queue|jobId`): what a run taken over after a crash stops first. */
  async addInflight(id: string, member: string): Promise<void> {
    await this.redis.sadd(this.key(id, 'inflight'), member);
  }

  async removeInflight(id: string, member: string): Promise<void> {
    await this.redis.srem(this.key(id, 'inflight'), member);
  }

  async inflight(id: string): Promise<string[]> {
    return this.redis.smembers(this.key(id, 'inflight'));
  }

  /** A finished batch: its progress keys go, its record stays for BATCH_RETENTION_S. */
  async finish(id: string): Promise<void> {
    await this.redis
      .multi()
      .del(this.key(id, 'lines'), this.key(id, 'inflight'))
      .expire(this.key(id), BATCH_RETENTION_S)
      .exec();
  }
}
