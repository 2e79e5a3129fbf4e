import { ChildProcess, spawn } from 'node:child_process';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { CHAT_HISTORY_QUEUE, embeddingQueueName, inferenceQueueName, memoryIndexJobId } from '@llmp/contracts';
import { LanceDbVectorStore } from '@llmp/platform';
import { RunningApp, TEST_REDIS_URL } from '@llmp/testing';
import {
  ChatHistoryHarness,
  assistantMessage,
  createConversation,
  newUserId,
  startChatHistory,
  userMessage,
  waitFor,
} from './chat-history-harness';

const STORY = [
  'Lily had a red ball.',
  'She played in the park.',
  'A dog came by.',
  'The dog wanted the ball.',
  'Lily shared the ball.',
];
/** Five items: past the trigger (4), so the append asks for a summary through seq 3 (all but the newest 2). */
const ITEMS = STORY.map((t, i) => (i % 2 ? assistantMessage(t) : userMessage(t)));
/** potion-base-2m: 64 dimensions. Any non-zero vector lists a collection's records with a large k. */
const PROBE = Array.from({ length: 64 }, (_, i) => (i === 0 ? 1 : 0));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The jobs an append asks for (`conversation.summarize.v1`, `memory.index.v1`) survive whatever happens after the
 * commit: Redis refusing writes, the process killed before it enqueued, Redis restarting empty after it had the jobs.
 * Real Postgres, a private real Redis, a real embedding worker (potion-base-2m) and inference worker (stories260k):
 * in the end every message has its vector and the conversation its summary, each made once.
 */
describe('chat-history job outbox', () => {
  let h: ChatHistoryHarness;
  /** The chat-history process serving now (the third test replaces it). */
  let app: RunningApp;
  let admin: Redis;
  let history: Queue;
  let vectors: LanceDbVectorStore;
  let restarted: ChildProcess | undefined;

  beforeAll(async () => {
    h = await startChatHistory({
      CHAT_SUMMARY_TRIGGER_ITEMS: '4',
      CHAT_VERBATIM_KEEP_ITEMS: '2',
      CHAT_SUMMARY_MAX_TOKENS: '24',
      CHAT_JOB_OUTBOX_INTERVAL_MS: '500',
      CHAT_JOB_OUTBOX_RECHECK_S: '2',
    });
    // These tests fill and restart Redis: never the shared one.
    if (h.redisUrl === TEST_REDIS_URL) throw new Error('job outbox tests need redis-server for a private Redis');
    app = h.app;
    await h.startSibling('embedding-worker', { EMBEDDING_WORKER_MODELS: 'potion-base-2m' });
    await h.startSibling('inference-worker', { WORKER_MODELS: 'stories260k' }, 90_000);
    admin = new Redis(h.redisUrl, { maxRetriesPerRequest: null });
    history = new Queue(CHAT_HISTORY_QUEUE, { connection: admin, prefix: h.prefix });
    vectors = new LanceDbVectorStore({ dir: h.vectorsDir, readConsistencyS: 0 });
  }, 150_000);

  afterAll(async () => {
    await vectors?.close();
    await history?.close();
    admin?.disconnect();
    await h?.stop();
    if (restarted && restarted.exitCode === null) {
      const exited = new Promise((r) => restarted!.once('exit', r));
      restarted.kill('SIGTERM');
      await exited;
    }
  });

  const outboxRows = (conversationId: string) =>
    h.sql<{ job_id: string; name: string; sent: boolean }>(
      `SELECT job_id, name, sent_at IS NOT NULL AS sent FROM chat_history.job_outbox
       WHERE conversation_id = $1 ORDER BY name`,
      [conversationId],
    );

  const itemIds = async (conversationId: string) =>
    (
      await h.sql<{ id: string }>(
        'SELECT id FROM chat_history.conversation_items WHERE conversation_id = $1 ORDER BY seq',
        [conversationId],
      )
    ).map((r) => r.id);

  const storedVectors = async (conversationId: string) => {
    try {
      const hits = await vectors.search('chat_memory', PROBE, { k: 1000, filter: { conversation_id: conversationId } });
      return hits.map((v) => v.id).sort();
    } catch {
      return []; // the collection does not exist before the first vector
    }
  };

  const summaries = async (conversationId: string) =>
    (
      await h.sql<{ through_seq: number }>(
        'SELECT through_seq FROM chat_history.conversation_summaries WHERE conversation_id = $1 ORDER BY through_seq',
        [conversationId],
      )
    ).map((r) => r.through_seq);

  /** A metric of the serving chat-history process, summed over series whose labels contain `labels`. */
  async function metric(name: string, labels: string): Promise<number> {
    const text = await (await fetch(`${app.url}/metrics`)).text();
    return text
      .split('\n')
      .filter((line) => line.startsWith(`${name}{`) && line.includes(labels))
      .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
  }

  /** Waits for the work the append asked for: a vector per message, the summary through seq 3, no row left. */
  async function expectWorkDone(conversationId: string, timeoutMs: number) {
    const ids = await itemIds(conversationId);
    expect(ids).toHaveLength(5);
    await waitFor(
      async () => (await storedVectors(conversationId)).length === ids.length,
      timeoutMs,
      `the ${ids.length} messages of ${conversationId} to be indexed`,
    );
    await waitFor(async () => (await summaries(conversationId)).length > 0, timeoutMs, 'the summary');
    // Exactly one vector per message and one summary, through seq 3.
    expect(await storedVectors(conversationId)).toEqual([...ids].sort());
    expect(await summaries(conversationId)).toEqual([3]);
    // Nothing left to do: the processors took their rows out of the outbox.
    await waitFor(async () => (await outboxRows(conversationId)).length === 0, 10_000, 'the outbox rows to go');
    return ids;
  }

  /** Job ids on a queue starting with `prefix`, in any state. */
  async function jobIds(queueName: string, prefix: string): Promise<string[]> {
    const queue = new Queue(queueName, { connection: admin, prefix: h.prefix });
    try {
      const jobs = await queue.getJobs(['completed', 'failed', 'waiting', 'active', 'delayed', 'paused']);
      return jobs.map((j) => j.id!).filter((id) => id.startsWith(prefix));
    } finally {
      await queue.close();
    }
  }

  /** Stops the private Redis (SHUTDOWN NOSAVE) and starts an empty one on the same port. */
  async function restartRedisEmpty(): Promise<void> {
    // A one-shot connection: a client that retries would send SHUTDOWN again to the new server.
    const once = new Redis(h.redisUrl, {
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      autoResendUnfulfilledCommands: false,
    });
    once.on('error', () => undefined);
    await once.shutdown('NOSAVE').catch(() => undefined);
    once.disconnect();
    const port = String(new URL(h.redisUrl).port);
    await waitFor(
      async () => {
        const proc = spawn(
          'redis-server',
          ['--port', port, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
          {
            stdio: 'ignore',
          },
        );
        await sleep(300);
        if (proc.exitCode !== null) return false; // the old server still held the port
        restarted = proc;
        return true;
      },
      10_000,
      'an empty Redis on the same port',
    );
    await admin.ping(); // the test's own connection is back
  }

  it('keeps the jobs while Redis refuses writes (full, noeviction) and enqueues them, once each, when it takes them again', async () => {
    const alice = newUserId();
    await admin.config('SET', 'maxmemory', '1');
    let conversationId: string;
    let during: { rows: Record<string, unknown>[]; unsent: number; failedEnqueues: number };
    try {
      // The append commits and answers; its enqueue fails (OOM).
      conversationId = (await createConversation(h, alice, { items: ITEMS })).id;
      // Several relay passes fail too; nothing reaches Redis.
      await sleep(2000);
      const first = (await itemIds(conversationId))[0]!;
      expect(await history.getJobState(memoryIndexJobId([first]))).toBe('unknown');
      expect(await history.getJobState(`summarize-${conversationId}-3`)).toBe('unknown');
      during = {
        rows: await outboxRows(conversationId).catch(() => []),
        unsent: await metric('chat_history_job_outbox_jobs', 'state="unsent"'),
        failedEnqueues: await metric('chat_history_job_outbox_events_total', 'event="append_enqueue_failed"'),
      };
    } finally {
      await admin.config('SET', 'maxmemory', '0');
    }

    const ids = await expectWorkDone(conversationId, 30_000);
    // One model call for the summary, one embedding job for the messages: nothing was done twice.
    expect(await jobIds(inferenceQueueName('stories260k'), `summarize-${conversationId}-3`)).toEqual([
      `summarize-${conversationId}-3-a0`,
    ]);
    expect(await jobIds(embeddingQueueName('potion-base-2m'), memoryIndexJobId([ids[0]!]))).toEqual([
      `${memoryIndexJobId([ids[0]!])}-a0`,
    ]);
    // While Redis refused them, the jobs were committed and not enqueued, and /metrics said so.
    expect(during.rows).toEqual([
      { job_id: `summarize-${conversationId}-3`, name: 'conversation.summarize.v1', sent: false },
      { job_id: memoryIndexJobId([ids[0]!]), name: 'memory.index.v1', sent: false },
    ]);
    expect(during.unsent).toBe(2);
    expect(during.failedEnqueues).toBe(2);
    expect(await metric('chat_history_job_outbox_events_total', 'event="relayed"')).toBe(2);
    expect(await metric('chat_history_job_outbox_jobs', 'state="unsent"')).toBe(0);
  }, 90_000);

  it('leaves the jobs of a process killed before it could enqueue them to the next process that starts', async () => {
    const bob = newUserId();
    await admin.config('SET', 'maxmemory', '1');
    let conversationId: string;
    try {
      conversationId = (await createConversation(h, bob, { items: ITEMS })).id;
      await app.stop('SIGKILL');
    } finally {
      await admin.config('SET', 'maxmemory', '0');
    }
    // Nothing reached Redis; a new process (same database, Redis and vector store) finds the work at start.
    expect(await jobIds(CHAT_HISTORY_QUEUE, `summarize-${conversationId}`)).toEqual([]);
    app = await h.startSibling('chat-history');
    await expectWorkDone(conversationId, 30_000);
  }, 90_000);

  it('enqueues again the jobs a Redis restarted empty lost before they were done', async () => {
    const carol = newUserId();
    // Hold the queue so the jobs are still waiting when Redis goes.
    await history.pause();
    const conversationId = (await createConversation(h, carol, { items: ITEMS })).id;
    expect(await jobIds(CHAT_HISTORY_QUEUE, `summarize-${conversationId}-3`)).toHaveLength(1);
    // Six relay passes: the relay has seen Redis hold both jobs (from then on it only checks on them, every
    // CHAT_JOB_OUTBOX_RECHECK_S), so what follows is the loss of jobs Redis had taken.
    await sleep(3000);

    // Redis restarts on the same port with nothing (no persistence): the jobs, and the pause, are gone.
    await restartRedisEmpty();

    await expectWorkDone(conversationId, 30_000);
    expect(await metric('chat_history_job_outbox_events_total', 'event="requeued"')).toBe(2);
  }, 90_000);
});
