/**
 * The gateway's usage recorder against the real Redis: records coalesced into `usage.record-batch.v1` jobs, and
 * none lost when the application closes right after recording (before the coalescing window has passed). The real
 * metering module in a Nest application context, with the platform's Redis and queue modules.
 */
import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { Job, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { Principal, SCOPES, USAGE_QUEUE, UsageRecordBatchV1PayloadSchema } from '@llmp/contracts';
import { HealthModule, QueueModule, RedisModule, platformConfig } from '@llmp/platform';
import { TEST_REDIS_URL, createQueuePrefix } from '@llmp/testing';
import { gatewayConfig } from '../src/config/gateway.config';
import { MeteringModule } from '../src/metering/metering.module';
import { USAGE_BATCH_WINDOW_MS, USAGE_RECORDS_PER_JOB, UsageRecorder } from '../src/metering/usage-recorder.service';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [platformConfig, gatewayConfig] }),
    HealthModule,
    RedisModule,
    QueueModule,
    MeteringModule,
  ],
})
class RecorderTestModule {}

const principal: Principal = {
  userId: randomUUID(),
  username: 'u',
  role: 'user',
  keyId: randomUUID(),
  models: null,
  keyLimits: null,
  monthlyBudget: null,
  userLimits: { rpm: null, tpm: null },
  expiresAt: null,
  scopes: [...SCOPES],
};

describe('UsageRecorder (gateway) against Redis', () => {
  const prefix = createQueuePrefix('llmpusage');
  const saved = { REDIS_URL: process.env.REDIS_URL, QUEUE_PREFIX: process.env.QUEUE_PREFIX };
  let redis: Redis;
  let queue: Queue;

  async function start(): Promise<INestApplicationContext> {
    return NestFactory.createApplicationContext(RecorderTestModule, { logger: ['error'] });
  }

  /** Every usage job waiting in the queue (nobody consumes it here), oldest first. */
  async function jobs(): Promise<Job[]> {
    return (await queue.getJobs(['waiting'], 0, -1, true)) as Job[];
  }

  const recordsOf = (all: Job[]) =>
    all.flatMap((j) => {
      expect(j.name).toBe('usage.record-batch.v1');
      return UsageRecordBatchV1PayloadSchema.parse(j.data).records;
    });

  beforeAll(() => {
    process.env.REDIS_URL = TEST_REDIS_URL;
    process.env.QUEUE_PREFIX = prefix.prefix;
    redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    queue = new Queue(USAGE_QUEUE, { connection: redis, prefix: prefix.prefix });
  });

  afterEach(async () => {
    await queue.obliterate({ force: true });
  });

  afterAll(async () => {
    await queue.close();
    redis.disconnect();
    await prefix.cleanup();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it('sends the records of one window as one job, each with its request’s tokens', async () => {
    const app = await start();
    try {
      const recorder = app.get(UsageRecorder);
      for (let i = 0; i < 40; i++) {
        recorder.record(principal, `req-${i}`, 'potion', 'embeddings', { promptTokens: i + 1, completionTokens: 0 });
      }
      expect(await jobs()).toHaveLength(0); // still inside the window
      await new Promise((r) => setTimeout(r, USAGE_BATCH_WINDOW_MS + 50));
      const all = await jobs();
      expect(all).toHaveLength(1);
      const records = recordsOf(all);
      expect(records.map((r) => [r.requestId, r.promptTokens])).toEqual(
        Array.from({ length: 40 }, (_, i) => [`req-${i}`, i + 1]),
      );
      expect(records[0]).toMatchObject({
        userId: principal.userId,
        apiKeyId: principal.keyId,
        model: 'potion',
        endpoint: 'embeddings',
        completionTokens: 0,
      });
    } finally {
      await app.close();
    }
  });

  it(`never puts more than ${USAGE_RECORDS_PER_JOB} records in one job`, async () => {
    const app = await start();
    try {
      const recorder = app.get(UsageRecorder);
      const n = USAGE_RECORDS_PER_JOB * 2 + 10;
      for (let i = 0; i < n; i++) {
        recorder.record(principal, `big-${i}`, 'potion', 'embeddings', { promptTokens: 1, completionTokens: 0 });
      }
      await recorder.flush();
      const all = await jobs();
      expect(all.map((j) => (j.data as { records: unknown[] }).records.length).sort((a, b) => b - a)).toEqual([
        USAGE_RECORDS_PER_JOB,
        USAGE_RECORDS_PER_JOB,
        10,
      ]);
      expect(new Set(recordsOf(all).map((r) => r.requestId)).size).toBe(n);
    } finally {
      await app.close();
    }
  });

  it('enqueues what is still inside the window when the application closes at once', async () => {
    const app = await start();
    const recorder = app.get(UsageRecorder);
    for (let i = 0; i < 25; i++) {
      recorder.record(principal, `late-${i}`, 'potion', 'embeddings', { promptTokens: 2, completionTokens: 0 });
    }
    await app.close(); // closes the queue producer and the Redis connections too
    const records = recordsOf(await jobs());
    expect(records.map((r) => r.requestId).sort()).toEqual(Array.from({ length: 25 }, (_, i) => `late-${i}`).sort());
  });
});
