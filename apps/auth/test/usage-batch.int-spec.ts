import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { JobPayload, USAGE_QUEUE, UsageRecordBatchV1ResultSchema, UsageRecordV1ResultSchema } from '@llmp/contracts';
import { AuthHarness, STRONG_PASSWORD, startAuth, uniqueUsername } from './auth-harness';

type UsageRecord = JobPayload<'usage.record.v1'>;

/** `usage.record-batch.v1`, what gateways send: many records in one job, one INSERT, each request counted once. */
describe('auth usage recording in batches', () => {
  let auth: AuthHarness;
  let queue: Queue;
  let queueEvents: QueueEvents;
  let connection: Redis;
  let userId: string;
  const day = Date.UTC(2025, 5, 3, 9); // 2025-06-03 09:00 UTC
  const range = { from: '2025-06-01', to: '2025-07-01' };

  const rec = (requestId: string, extra: Partial<UsageRecord> = {}): UsageRecord => ({
    requestId,
    userId,
    apiKeyId: null,
    model: 'emb',
    endpoint: 'embeddings',
    promptTokens: 3,
    completionTokens: 0,
    at: day,
    ...extra,
  });

  async function batch(records: UsageRecord[], jobId: string): Promise<number> {
    const job = await queue.add('usage.record-batch.v1', { records }, { jobId });
    return UsageRecordBatchV1ResultSchema.parse(await job.waitUntilFinished(queueEvents, 15_000)).recorded;
  }

  async function single(record: UsageRecord, jobId: string): Promise<boolean> {
    const job = await queue.add('usage.record.v1', record, { jobId });
    return UsageRecordV1ResultSchema.parse(await job.waitUntilFinished(queueEvents, 15_000)).recorded;
  }

  beforeAll(async () => {
    auth = await startAuth();
    connection = new Redis(auth.redisUrl, { maxRetriesPerRequest: null });
    queue = new Queue(USAGE_QUEUE, { connection, prefix: auth.prefix });
    queueEvents = new QueueEvents(USAGE_QUEUE, { connection: { url: auth.redisUrl }, prefix: auth.prefix });
    await queueEvents.waitUntilReady();
    userId = (await auth.call('register', { username: uniqueUsername('batch'), password: STRONG_PASSWORD })).id;
  });

  afterAll(async () => {
    await queueEvents?.close();
    await queue?.close();
    connection?.disconnect();
    await auth?.stop();
  });

  it('records every request of a batch once, whatever repeats within it, in another batch or as a single job', async () => {
    const costly = rec('b-2', { model: 'priced', promptTokens: 10, completionTokens: 4, cost: 0.000125 });
    // 250 records in one job, one of them repeated inside it (a coalescer never does that; the insert copes).
    const many = Array.from({ length: 249 }, (_, i) => rec(`b-many-${i}`, { promptTokens: i + 1 }));
    expect(await batch([rec('b-1'), costly, rec('b-1'), ...many], 'batch-1')).toBe(251);
    // The same batch delivered again as another job (a re-sent batch): nothing new.
    expect(await batch([rec('b-1'), costly], 'batch-1-again')).toBe(0);
    // Overlapping batches and the single-record job of an older gateway: only what is new counts.
    expect(await batch([rec('b-2'), rec('b-3', { promptTokens: 7 })], 'batch-2')).toBe(1);
    expect(await single(rec('b-3'), 'single-b-3')).toBe(false);
    expect(await single(rec('b-4', { promptTokens: 5 }), 'single-b-4')).toBe(true);

    const report = await auth.call('usage', { userId, ...range, group_by: 'model' });
    const manyTokens = (249 * 250) / 2;
    expect(report.data).toEqual([
      {
        group: 'emb',
        requests: 1 + 249 + 1 + 1,
        prompt_tokens: 3 + manyTokens + 7 + 5,
        completion_tokens: 0,
        total_tokens: 3 + manyTokens + 7 + 5,
        cost: 0,
      },
      { group: 'priced', requests: 1, prompt_tokens: 10, completion_tokens: 4, total_tokens: 14, cost: 0.000125 },
    ]);
    const byDay = await auth.call('usage', { userId, ...range, group_by: 'day' });
    expect(byDay.data.map((r: { group: string }) => r.group)).toEqual(['2025-06-03']);
  });

  it('fails a batch with an invalid record as a whole, recording none of it', async () => {
    const job = await queue.add(
      'usage.record-batch.v1',
      { records: [rec('bad-1'), { ...rec('bad-2'), userId: 'not-a-uuid' }] },
      { jobId: 'batch-bad' },
    );
    await expect(job.waitUntilFinished(queueEvents, 15_000)).rejects.toThrow(/Invalid usage.record-batch.v1 payload/);
    const report = await auth.call('usage', { userId, ...range, group_by: 'model' });
    expect(report.data.find((r: { group: string }) => r.group === 'emb')?.requests).toBe(252);
  });
});
