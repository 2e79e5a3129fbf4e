import type { ConfigType } from '@nestjs/config';
import { Queue, Worker } from 'bullmq';
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, Redis } from 'ioredis';
import { register } from 'prom-client';
import { inferenceQueueName } from '@llmp/contracts';
import type { Principal } from '@llmp/contracts';
import { JobProducer, LocalModelDefinition, PlatformConfig, RateLimiter, RedisFactory } from '@llmp/platform';
import { freePort } from '@llmp/testing';
import type { gatewayConfig } from '../config/gateway.config';
import { AdmissionControl } from '../jobs/admission.service';
import { QueueMetrics } from './queue.metrics';

/**
 * Redis Cluster: every key of a BullMQ queue (and of each of the platform's multi-key Lua scripts) must hash to one
 * slot, which a hash-tagged QUEUE_PREFIX (`{llmp}`) guarantees. A real three-node cluster of redis-server processes,
 * real BullMQ, and the gateway's own admission control, rate limiter and queue gauge on top of it.
 */
const HAVE_REDIS = spawnSync('redis-server', ['--version']).status === 0;

async function startCluster(): Promise<{ ports: number[]; stop: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'llmp-redis-cluster-'));
  const ports = [await freePort(), await freePort(), await freePort()];
  const procs: ChildProcess[] = ports.map((port) =>
    spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        `nodes-${port}.conf`,
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'no',
        '--maxmemory-policy',
        'noeviction',
      ],
      { stdio: 'ignore' },
    ),
  );
  const stop = async () => {
    await Promise.all(
      procs.map(
        (p) =>
          new Promise<void>((res) => {
            if (p.exitCode !== null) return res();
            p.once('exit', () => res());
            p.kill('SIGKILL');
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) {
      const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, retryStrategy: () => 100 });
      for (let i = 0; ; i++) {
        try {
          await probe.connect();
          await probe.ping();
          break;
        } catch (err) {
          if (i > 50) throw err;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      probe.disconnect();
    }
    const create = spawnSync(
      'redis-cli',
      ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'],
      { encoding: 'utf8' },
    );
    if (create.status !== 0) throw new Error(`redis-cli --cluster create: ${create.stdout}${create.stderr}`);
    for (let i = 0; ; i++) {
      const states = await Promise.all(
        ports.map(async (p) => {
          const r = new Redis(p, '127.0.0.1');
          try {
            return String(await r.cluster('INFO')).includes('cluster_state:ok');
          } finally {
            r.disconnect();
          }
        }),
      );
      if (states.every(Boolean)) break;
      if (i > 100) throw new Error('the cluster did not reach cluster_state:ok');
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { ports, stop };
}

(HAVE_REDIS ? describe : describe.skip)('QUEUE_PREFIX on Redis Cluster: a hash tag keeps every key in one slot', () => {
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  const clients: Cluster[] = [];
  const connect = () => {
    const c = new Cluster(
      cluster.ports.map((port) => ({ host: '127.0.0.1', port })),
      { redisOptions: { maxRetriesPerRequest: null } },
    );
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    cluster = await startCluster();
  }, 60_000);

  afterAll(async () => {
    clients.forEach((c) => c.disconnect());
    await cluster?.stop();
  });

  it('without a hash tag BullMQ cannot even enqueue: its scripts touch keys in different slots', async () => {
    const queue = new Queue('inference-m', {
      connection: connect(),
      prefix: `llmp-test-${randomBytes(3).toString('hex')}`,
    });
    await expect(queue.add('chat.complete.v1', { n: 1 })).rejects.toThrow(/CROSSSLOT|slot/i);
    await queue.close();
  });

  it('with {prefix}: BullMQ queues and workers, the admission script, the rate limiter and the queue gauge all work', async () => {
    const prefix = `{llmp-test-${randomBytes(3).toString('hex')}}`;
    const queueName = inferenceQueueName('cluster-m');
    const platform = { queuePrefix: prefix } as PlatformConfig;
    const conn = connect();
    // The platform's services on the cluster connection (RedisFactory hands out ioredis clients; a Cluster has the
    // same command surface, defineCommand included).
    const factory = { requestClient: () => conn, client: () => conn } as unknown as RedisFactory;

    // BullMQ: jobs in, processed by a worker, counted.
    const queue = new Queue(queueName, { connection: connect(), prefix });
    const done: number[] = [];
    const worker = new Worker(
      queueName,
      async (job) => {
        done.push((job.data as { n: number }).n);
        return job.data;
      },
      { connection: connect(), prefix },
    );
    await queue.add('chat.complete.v1', { n: 1 });
    await queue.add('chat.complete.v1', { n: 2 }, { priority: 5 });
    await queue.add('chat.complete.v1', { n: 3 }, { delay: 1 });
    for (let i = 0; done.length < 3 && i < 100; i++) await new Promise((r) => setTimeout(r, 50));
    expect(done.sort()).toEqual([1, 2, 3]);
    await worker.close();
    await queue.add('chat.complete.v1', { n: 4 });
    await queue.add('chat.complete.v1', { n: 5 }, { priority: 5 });

    // The gateway's queue-depth gauge reads it through the JobProducer.
    const producer = new JobProducer(factory, platform);
    const cfg = { models: [{ id: 'cluster-m', kind: 'llm', slots: 2 }], authRequired: true };
    const metrics = new QueueMetrics(producer, cfg as unknown as ConfigType<typeof gatewayConfig>);
    metrics.onModuleInit();
    const text = await register.getSingleMetricAsString('llmp_queue_jobs');
    expect(text).toContain(`llmp_queue_jobs{queue="${queueName}",model="cluster-m",state="waiting"} 1`);
    expect(text).toContain(`llmp_queue_jobs{queue="${queueName}",model="cluster-m",state="prioritized"} 1`);

    // Admission (4 keys in one script: in-flight set, user set, BullMQ's active list, completions) and position.
    const admission = new AdmissionControl(factory, platform, cfg as unknown as ConfigType<typeof gatewayConfig>);
    admission.onModuleInit();
    const model = { id: 'cluster-m', kind: 'llm', slots: 2, max_user_share: 1 } as LocalModelDefinition;
    const p = { userId: 'u1' } as Principal;
    expect(await admission.admit(model, queueName, 'j1', p)).toBe(-1);
    expect(await admission.admit(model, queueName, 'j2', p)).toBe(-1);
    // Beyond the slots: admitted to wait, with 0 and then 1 job ahead.
    expect(await admission.admit(model, queueName, 'j3', p)).toBe(0);
    expect(await admission.admit(model, queueName, 'j4', p)).toBe(1);
    const waiting = (await queue.getWaiting())[0]!;
    expect((await admission.position(queueName, waiting.id!)).ahead).toBe(0);
    admission.release('j1', true);
    admission.onApplicationShutdown();

    // Rate limits: several buckets in one script.
    const limiter = new RateLimiter(factory, platform);
    limiter.onModuleInit();
    const taken = await limiter.take([
      { id: 'key:k1:rpm', perMinute: 10, cost: 1 },
      { id: 'user:u1:tpm', perMinute: 1000, cost: 100 },
    ]);
    expect(taken.allowed).toBe(true);
    await new Promise((r) => setTimeout(r, 100));

    // Every key the platform wrote under the prefix hashes to the tag's slot.
    const slot = Number(await conn.cluster('KEYSLOT', prefix));
    const keys: string[] = [];
    for (const node of conn.nodes('master')) {
      let cursor = '0';
      do {
        const [next, batch] = await node.scan(cursor, 'MATCH', `${prefix.replace(/[{}]/g, '\\$&')}*`, 'COUNT', 1000);
        cursor = next;
        keys.push(...batch);
      } while (cursor !== '0');
    }
    expect(keys.some((k) => k.includes(':admission:'))).toBe(true);
    expect(keys.some((k) => k.includes(':rl:'))).toBe(true);
    expect(keys.some((k) => k.endsWith(':wait'))).toBe(true);
    const slots = new Set(await Promise.all(keys.map(async (k) => Number(await conn.cluster('KEYSLOT', k)))));
    expect([...slots]).toEqual([slot]);
    await producer.onApplicationShutdown();
    await queue.close();
  }, 60_000);
});
