/**
 * The job client against real Redis and real worker processes (an inference worker serving stories260k and an
 * embedding worker serving potion-base-2m, started from dist/): chat and embedding jobs with real results, a
 * stream of tokens, a cancel, and a payload the contract refuses before anything is enqueued.
 *
 * Needs a build first: `node infra/scripts/build.mjs && npx jest libs/job-client/test --runInBand`.
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { ZodError } from 'zod';
import { decodeVectors, inferenceQueueName } from '@llmp/contracts';
import { JobClient, JobFailedError } from '../src';
import { RunningApp, TEST_REDIS_URL, createQueuePrefix, startApp } from '@llmp/testing';

const CHAT = 'stories260k';
const EMBED = 'potion-base-2m';

describe('JobClient (real Redis, real workers)', () => {
  const prefix = createQueuePrefix('llmpjobclient');
  const apps: RunningApp[] = [];
  let redis: Redis;
  let client: JobClient;

  beforeAll(async () => {
    const env = { QUEUE_PREFIX: prefix.prefix, REDIS_URL: TEST_REDIS_URL, LOG_LEVEL: 'warn' };
    const [worker, embedder] = await Promise.all([
      startApp('inference-worker', { ...env, WORKER_MODELS: CHAT }, { readyPath: '/health/ready', timeoutMs: 60000 }),
      startApp(
        'embedding-worker',
        { ...env, EMBEDDING_WORKER_MODELS: EMBED },
        { readyPath: '/health/ready', timeoutMs: 60000 },
      ),
    ]);
    apps.push(worker, embedder);
    redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    client = new JobClient({ connection: redis, prefix: prefix.prefix });
  }, 120_000);

  afterAll(async () => {
    await client?.close();
    redis?.disconnect();
    await Promise.all(apps.map((a) => a.stop()));
    await prefix.cleanup();
  });

  it('runs a chat job and resolves its generation', async () => {
    const job = await client.submit('chat.complete.v1', {
      requestId: 'job-client-chat',
      model: CHAT,
      stream: false,
      sampling: { maxTokens: 24, temperature: 0, stop: [] },
      messages: [{ role: 'user', content: 'Once upon a time' }],
    });
    const result = await job.result({ timeoutMs: 30_000 });
    expect(result.text.length).toBeGreaterThan(0);
    expect(result.usage.promptTokens).toBeGreaterThan(0);
    expect(result.usage.completionTokens).toBeGreaterThan(0);
    expect(result.usage.completionTokens).toBeLessThanOrEqual(24);
    expect(['stop', 'length']).toContain(result.finishReason);
  });

  it('streams tokens whose text is the final result', async () => {
    const job = await client.submit('text.complete.v1', {
      requestId: 'job-client-stream',
      model: CHAT,
      stream: true,
      sampling: { maxTokens: 48, temperature: 0 },
      prompt: 'The little dog',
    });
    let streamed = '';
    const types: string[] = [];
    for await (const ev of job.events()) {
      types.push(ev.type);
      if (ev.type === 'delta') streamed += ev.text;
    }
    const result = await job.result();
    expect(types[0]).toBe('start');
    expect(types.at(-1)).toBe('end');
    expect(types.filter((t) => t === 'delta').length).toBeGreaterThan(0);
    expect(streamed).toBe(result.text);
  });

  it('runs an embedding job and resolves its vectors', async () => {
    const job = await client.submit('embed.texts.v1', {
      requestId: 'job-client-embed',
      model: EMBED,
      inputs: ['a cat sits on the mat', 'stock markets fell today'],
    });
    const result = await job.result({ timeoutMs: 30_000 });
    expect({ count: result.count, dims: result.dims }).toEqual({ count: 2, dims: 64 });
    expect(result.promptTokens).toBeGreaterThan(0);
    const vectors = decodeVectors(result.vectors!, result.count, result.dims);
    const norm = Math.hypot(...Array.from(vectors.subarray(0, 64)));
    expect(norm).toBeCloseTo(1, 4);
  });

  it('cancels a running generation: the result rejects and the worker frees its slot', async () => {
    const job = await client.submit('text.complete.v1', {
      requestId: 'job-client-cancel',
      model: CHAT,
      stream: true,
      sampling: { maxTokens: 1500, temperature: 1, seed: 7 },
      prompt: 'Once upon a time there was a very long story that',
    });
    for await (const ev of job.events()) if (ev.type === 'delta') break;
    job.cancel();
    await expect(job.result()).rejects.toMatchObject({ code: 'cancelled' });
    const queue = new Queue(inferenceQueueName(CHAT), { connection: redis, prefix: prefix.prefix });
    const deadline = Date.now() + 10_000;
    while ((await queue.getActiveCount()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await queue.getActiveCount()).toBe(0);
    await queue.close();
  });

  it('reports the worker’s own error for a job it rejects', async () => {
    const job = await client.submit('chat.complete.v1', {
      requestId: 'job-client-bad-bias',
      model: CHAT,
      stream: false,
      sampling: { maxTokens: 4, logitBias: { '99999999': 5 } },
      messages: [{ role: 'user', content: 'hi' }],
    });
    const err = await job.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JobFailedError);
    expect((err as JobFailedError).code).toBe('invalid_request');
  });

  it('refuses a payload outside the contract before enqueueing it', async () => {
    const queue = new Queue(inferenceQueueName(CHAT), { connection: redis, prefix: prefix.prefix });
    const before = await queue.count();
    await expect(
      client.submit('chat.complete.v1', {
        requestId: 'job-client-invalid',
        model: CHAT,
        stream: false,
        sampling: { temperature: 5 },
        messages: [],
      }),
    ).rejects.toBeInstanceOf(ZodError);
    expect(await queue.count()).toBe(before);
    await queue.close();
  });
});
