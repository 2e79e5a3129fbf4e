import type { ConfigType } from '@nestjs/config';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { register } from 'prom-client';
import { embeddingQueueName, inferenceQueueName } from '@llmp/contracts';
import { JobProducer, PlatformConfig, ReadinessRegistry, RedisFactory } from '@llmp/platform';
import { TEST_REDIS_URL, createQueuePrefix } from '@llmp/testing';
import type { gatewayConfig } from '../config/gateway.config';
import { QueueMetrics } from './queue.metrics';

type GatewayConfig = ConfigType<typeof gatewayConfig>;

/** The samples of one metric in the registry's text exposition, as `labels -> value`. */
async function samples(name: string): Promise<Map<string, number>> {
  const text = await register.metrics();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(\w+)\{([^}]*)\} (\S+)$/.exec(line);
    if (m && m[1] === name) out.set(m[2]!, Number(m[3]));
  }
  return out;
}

describe('QueueMetrics: the queue-depth gauges read real BullMQ queues', () => {
  const prefix = createQueuePrefix('llmpqm');
  const llm = inferenceQueueName('qm-llm');
  const emb = embeddingQueueName('qm-emb');
  let redis: RedisFactory;
  let producer: JobProducer;
  let metrics: QueueMetrics;
  let worker: Worker | undefined;
  const extra: Queue[] = [];
  const conns: Redis[] = [];
  const conn = () => {
    const c = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    conns.push(c);
    return c;
  };

  beforeAll(() => {
    const platform = { redisUrl: TEST_REDIS_URL, queuePrefix: prefix.prefix } as PlatformConfig;
    redis = new RedisFactory(platform, new ReadinessRegistry());
    producer = new JobProducer(redis, platform);
    const cfg = {
      models: [
        { id: 'qm-llm', kind: 'llm', slots: 8 },
        { id: 'qm-emb', kind: 'embedding', concurrency: 64 },
        { id: 'qm-remote', kind: 'remote' },
      ],
    } as unknown as GatewayConfig;
    metrics = new QueueMetrics(producer, cfg);
    metrics.onModuleInit();
  });

  afterAll(async () => {
    await worker?.close(true);
    await Promise.all(extra.map((q) => q.close()));
    await producer.onApplicationShutdown();
    await redis.onApplicationShutdown();
    conns.forEach((c) => c.disconnect());
    await prefix.cleanup();
  });

  it('reports waiting, active, prioritized and delayed jobs per model queue, and the slots per model', async () => {
    const q = new Queue(llm, {
      connection: conn(),
      prefix: prefix.prefix,
    });
    extra.push(q);
    await q.add('chat.complete.v1', { n: 1 });
    await q.add('chat.complete.v1', { n: 2 });
    await q.add('chat.complete.v1', { n: 3 });
    // Batch work goes in at a lower priority: BullMQ keeps it in the `prioritized` sorted set, not the wait list.
    await q.add('chat.complete.v1', { n: 4 }, { priority: 10 });
    await q.add('chat.complete.v1', { n: 5 }, { priority: 10 });
    await q.add('chat.complete.v1', { n: 6 }, { delay: 60_000 });
    // A worker takes one job and holds it: active.
    worker = new Worker(llm, null, {
      connection: conn(),
      prefix: prefix.prefix,
      autorun: false,
    });
    const taken = await worker.getNextJob('token-1');
    expect(taken).toBeDefined();

    const emb1 = new Queue(emb, {
      connection: conn(),
      prefix: prefix.prefix,
    });
    extra.push(emb1);
    await emb1.add('embed.texts.v1', { n: 1 });

    const jobs = await samples('llmp_queue_jobs');
    expect(jobs.get(`queue="${llm}",model="qm-llm",state="waiting"`)).toBe(2);
    expect(jobs.get(`queue="${llm}",model="qm-llm",state="active"`)).toBe(1);
    expect(jobs.get(`queue="${llm}",model="qm-llm",state="prioritized"`)).toBe(2);
    expect(jobs.get(`queue="${llm}",model="qm-llm",state="delayed"`)).toBe(1);
    expect(jobs.get(`queue="${emb}",model="qm-emb",state="waiting"`)).toBe(1);
    expect(jobs.get(`queue="${emb}",model="qm-emb",state="active"`)).toBe(0);
    // Remote models have no queue here.
    expect([...jobs.keys()].some((k) => k.includes('qm-remote'))).toBe(false);

    const slots = await samples('llmp_model_slots');
    expect(slots.get('model="qm-llm",kind="llm"')).toBe(8);
    expect(slots.get('model="qm-emb",kind="embedding"')).toBe(64);

    // The next scrape sees the queue move: the active job completes, another one is taken.
    await taken!.moveToCompleted('done', 'token-1', false);
    await q.add('chat.complete.v1', { n: 7 });
    const after = await samples('llmp_queue_jobs');
    expect(after.get(`queue="${llm}",model="qm-llm",state="active"`)).toBe(0);
    expect(after.get(`queue="${llm}",model="qm-llm",state="waiting"`)).toBe(3);
  });
});
