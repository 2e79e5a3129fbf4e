import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { JobPayload, USAGE_QUEUE, UsageRecordV1ResultSchema } from '@llmp/contracts';
import { AuthHarness, STRONG_PASSWORD, startAuth, uniqueUsername } from './auth-harness';

describe('auth usage recording (BullMQ worker) and usage query', () => {
  let auth: AuthHarness;
  let queue: Queue;
  let queueEvents: QueueEvents;
  let connection: Redis;
  let alice: string;
  let bob: string;
  let aliceKey: string;
  const dayMs = 24 * 3600 * 1000;
  const day1 = Date.UTC(2025, 0, 10, 12); // 2025-01-10 12:00 UTC
  const day2 = day1 + dayMs;

  async function record(payload: JobPayload<'usage.record.v1'>, jobId: string) {
    const job = await queue.add('usage.record.v1', payload, { jobId });
    return UsageRecordV1ResultSchema.parse(await job.waitUntilFinished(queueEvents, 15_000));
  }

  beforeAll(async () => {
    auth = await startAuth();
    connection = new Redis(auth.redisUrl, { maxRetriesPerRequest: null });
    queue = new Queue(USAGE_QUEUE, { connection, prefix: auth.prefix });
    queueEvents = new QueueEvents(USAGE_QUEUE, { connection: { url: auth.redisUrl }, prefix: auth.prefix });
    await queueEvents.waitUntilReady();

    alice = (await auth.call('register', { username: uniqueUsername('alice'), password: STRONG_PASSWORD })).id;
    bob = (await auth.call('register', { username: uniqueUsername('bob'), password: STRONG_PASSWORD })).id;
    aliceKey = (await auth.call('createApiKey', { userId: alice, creatorKeyId: null, name: 'usage' })).id;

    const base = { endpoint: 'chat.completions' as const, completionTokens: 5 };
    const results = [
      await record(
        {
          ...base,
          requestId: 'req-1',
          userId: alice,
          apiKeyId: aliceKey,
          model: 'm-a',
          promptTokens: 10,
          at: day1,
          cost: 0.25,
        },
        'req-1',
      ),
      await record(
        { ...base, requestId: 'req-2', userId: alice, apiKeyId: null, model: 'm-b', promptTokens: 20, at: day2 },
        'req-2',
      ),
      // The same request delivered again as another job (a producer retry): recorded once.
      await record(
        {
          ...base,
          requestId: 'req-1',
          userId: alice,
          apiKeyId: aliceKey,
          model: 'm-a',
          promptTokens: 10,
          at: day1,
          cost: 0.25,
        },
        'req-1-again',
      ),
      await record(
        {
          ...base,
          requestId: 'req-3',
          userId: bob,
          apiKeyId: null,
          model: 'm-a',
          promptTokens: 1,
          at: day1,
          cost: 0.125,
        },
        'req-3',
      ),
    ];
    expect(results.map((r) => r.recorded)).toEqual([true, true, false, true]);
  });

  afterAll(async () => {
    await queueEvents?.close();
    await queue?.close();
    connection?.disconnect();
    await auth?.stop();
  });

  const range = { from: '2025-01-01', to: '2025-02-01' };

  it('groups a user’s usage by model, counting the duplicated request once', async () => {
    const report = await auth.call('usage', { userId: alice, ...range, group_by: 'model' });
    expect(report).toEqual({
      object: 'usage.report',
      group_by: 'model',
      from: Date.UTC(2025, 0, 1) / 1000,
      to: Date.UTC(2025, 1, 1) / 1000,
      data: [
        { group: 'm-a', requests: 1, prompt_tokens: 10, completion_tokens: 5, total_tokens: 15, cost: 0.25 },
        { group: 'm-b', requests: 1, prompt_tokens: 20, completion_tokens: 5, total_tokens: 25, cost: 0 },
      ],
    });
  });

  it('groups by key, JWT traffic as session', async () => {
    const report = await auth.call('usage', { userId: alice, ...range, group_by: 'key' });
    const expected = [
      { group: aliceKey, requests: 1, prompt_tokens: 10, completion_tokens: 5, total_tokens: 15, cost: 0.25 },
      { group: 'session', requests: 1, prompt_tokens: 20, completion_tokens: 5, total_tokens: 25, cost: 0 },
    ].sort((a, b) => (a.group < b.group ? -1 : 1));
    expect(report.data).toEqual(expected);
  });

  it('groups everyone’s usage by UTC day when userId is null', async () => {
    const report = await auth.call('usage', { userId: null, ...range, group_by: 'day' });
    expect(report.data).toEqual([
      { group: '2025-01-10', requests: 2, prompt_tokens: 11, completion_tokens: 10, total_tokens: 21, cost: 0.375 },
      { group: '2025-01-11', requests: 1, prompt_tokens: 20, completion_tokens: 5, total_tokens: 25, cost: 0 },
    ]);
  });

  it('treats to as exclusive and accepts unix seconds', async () => {
    const report = await auth.call('usage', { userId: alice, from: day1 / 1000, to: day2 / 1000, group_by: 'model' });
    expect(report.data.map((r: { group: string }) => r.group)).toEqual(['m-a']);
  });

  it('defaults to the last 30 days', async () => {
    const report = await auth.call('usage', { userId: alice, group_by: 'model' });
    expect(report.to - report.from).toBe(30 * 24 * 3600);
    expect(Math.abs(report.to - Date.now() / 1000)).toBeLessThan(60);
    expect(report.data).toEqual([]);
  });

  it('refuses unknown fields and an inverted interval with invalid_request', async () => {
    expect((await auth.callError('usage', { userId: alice, group_by: 'model', user_id: bob })).code).toBe(
      'invalid_request',
    );
    const inverted = await auth.callError('usage', { userId: alice, from: '2025-02-01', to: '2025-01-01' });
    expect(inverted).toMatchObject({ code: 'invalid_request', param: 'from' });
  });
});
