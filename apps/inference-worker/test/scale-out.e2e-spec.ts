/**
 * Scale-out, as real processes: several inference workers on one queue share the work; a worker SIGKILLed
 * mid-stream loses nothing (its streams carry on from the other worker, replaying the same seed, or end with a
 * terminal error event, and no conversation gets two assistant replies); a worker told to stop (SIGTERM) fails its
 * readiness first and finishes or hands back its jobs; a worker recycles itself after N jobs without a request
 * failing; a gateway told to stop finishes its open streams.
 *
 * Needs a build first (`node infra/scripts/build.mjs`), like every e2e spec.
 */
import { QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import OpenAI from 'openai';
import { inferenceQueueName } from '@llmp/contracts';
import { RunningApp, RunningPlatform, TEST_REDIS_URL, metricValue, startApp, startPlatform } from '@llmp/testing';

const MODEL = 'stories260k';
const PROMPT = 'Once upon a time';

async function busySlots(worker: RunningApp): Promise<number> {
  const text = await (await fetch(`${worker.url}/metrics`)).text();
  return metricValue(text, 'inference_busy_slots', { model: MODEL }) ?? 0;
}

async function jobsDone(worker: RunningApp, outcome: string): Promise<number> {
  const text = await (await fetch(`${worker.url}/metrics`)).text();
  return metricValue(text, 'inference_jobs_total', { model: MODEL, outcome }) ?? 0;
}

async function until(what: string, cond: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * How the app ended: 0, or the SIGTERM it was sent (Nest re-raises the signal once its shutdown hooks are done,
 * so a clean stop on a signal ends by that signal).
 */
const exitOf = (app: RunningApp) =>
  new Promise<number | string | null>((resolve) => {
    if (app.proc.exitCode !== null || app.proc.signalCode !== null) resolve(app.proc.exitCode ?? app.proc.signalCode);
    else app.proc.once('exit', (code, signal) => resolve(code ?? signal));
  });
const CLEAN_EXIT = [0, 'SIGTERM'];

interface Streamed {
  text: string;
  /** Longest wait between two chunks, ms. */
  maxGapMs: number;
  finish: string | null;
  error: string | null;
}

interface StatefulStreamed extends Streamed {
  /** The output text of `response.completed`. */
  completed: string;
}

/** A streamed Responses request on a conversation; a terminal error event ends it as `error`. */
async function statefulStream(
  client: OpenAI,
  conversation: string,
  maxTokens: number,
  temperature = 0.8,
): Promise<StatefulStreamed> {
  const out: StatefulStreamed = { text: '', maxGapMs: 0, finish: null, error: null, completed: '' };
  let last = Date.now();
  try {
    const stream = await client.responses.create({
      model: MODEL,
      input: PROMPT,
      conversation,
      stream: true,
      max_output_tokens: maxTokens,
      temperature,
    });
    for await (const ev of stream) {
      const now = Date.now();
      out.maxGapMs = Math.max(out.maxGapMs, now - last);
      last = now;
      if (ev.type === 'response.output_text.delta') out.text += ev.delta;
      if (ev.type === 'response.completed' || ev.type === 'response.incomplete') {
        out.finish = ev.response.status ?? null;
        out.completed = ev.response.output
          .flatMap((item) => (item.type === 'message' ? item.content : []))
          .map((c) => (c.type === 'output_text' ? c.text : ''))
          .join('');
      }
      if (ev.type === 'response.failed') out.error = ev.response.error?.message ?? 'failed';
      if (ev.type === 'error') out.error = ev.message;
    }
  } catch (err) {
    out.error = (err as Error).message;
  }
  return out;
}

/** The same request, not streamed: the text a correct continuation must have reproduced. */
async function reference(client: OpenAI, seed: number, maxTokens: number): Promise<string> {
  const res = await client.chat.completions.create({
    model: MODEL,
    messages: [{ role: 'user', content: PROMPT }],
    max_tokens: maxTokens,
    temperature: 0.8,
    seed,
  });
  return res.choices[0]!.message.content ?? '';
}

describe('inference workers scaled out on one queue', () => {
  let platform: RunningPlatform;
  let client: OpenAI;
  const apps: RunningApp[] = [];
  let workerEnv: Record<string, string>;
  const startWorker = async (env: Record<string, string> = {}) => {
    const w = await startApp('inference-worker', { ...workerEnv, ...env }, { readyPath: '/health/ready' });
    apps.push(w);
    return w;
  };

  beforeAll(async () => {
    platform = await startPlatform({ worker: false, chatHistory: true, env: { LOG_LEVEL: 'warn' } });
    workerEnv = { ...platform.env, WORKER_MODELS: MODEL, STORIES_SLOTS: '4' };
    client = new OpenAI({ baseURL: `${platform.gateway.url}/v1`, apiKey: platform.apiKey, maxRetries: 0 });
  }, 120_000);

  afterAll(async () => {
    await Promise.all(apps.map((a) => a.stop('SIGKILL')));
    await platform?.stop();
  });

  it('shares the work, and a SIGKILL mid-stream loses nothing and duplicates nothing', async () => {
    // Five streams: A (3 slots) takes three, B (5 slots) the other two and has room for A's retries at once.
    const a = await startWorker({ STORIES_SLOTS: '3' });
    const conversations = await Promise.all([1, 2, 3, 4, 5].map(() => client.conversations.create({})));
    const streams = conversations.map((conv) => statefulStream(client, conv.id, 1200));
    await until('A to fill its slots', async () => (await busySlots(a)) === 3);
    const b = await startWorker({ STORIES_SLOTS: '5' });
    await until('both workers to generate', async () => (await busySlots(a)) > 0 && (await busySlots(b)) > 0);
    await new Promise((r) => setTimeout(r, 500)); // text is out on A's streams
    // BullMQ's stalled-job events: when the platform noticed that A's jobs lost their worker.
    const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    const events = new QueueEvents(inferenceQueueName(MODEL), { connection: redis, prefix: platform.queuePrefix });
    await events.waitUntilReady();
    const stalledAt: number[] = [];
    events.on('stalled', () => stalledAt.push(Date.now()));
    await a.stop('SIGKILL');
    const killedAt = Date.now();
    const results = await Promise.all(streams);
    await events.close();
    redis.disconnect();

    for (const [i, r] of results.entries()) {
      const items = await client.conversations.items.list(conversations[i]!.id);
      const replies = items.data.filter((it) => it.type === 'message' && it.role === 'assistant');
      if (r.error !== null) {
        // Allowed only as a terminal error event naming the failure, never a hang or a silent cut.
        expect(r.error).toMatch(/failed mid-generation/);
        expect(replies).toHaveLength(0);
        continue;
      }
      // What the client read is the whole reply, once: nothing replayed twice, nothing skipped.
      expect(r.finish).toBe('incomplete');
      expect(r.text).toBe(r.completed);
      expect(replies).toHaveLength(1);
      const stored = replies[0]!.type === 'message' ? replies[0]!.content : [];
      expect(stored.map((c) => ('text' in c ? c.text : '')).join('')).toBe(r.text);
    }
    // The death was noticed within JOB_LOCK_MS (4 s) and a quarter of it, for each of A's three jobs.
    expect(stalledAt).toHaveLength(3);
    for (const at of stalledAt) expect(at - killedAt).toBeLessThan(5500);
    // A's streams carried on from B after a pause (noticing the death, then regenerating the text already sent).
    const continued = results.filter((r) => r.error === null && r.maxGapMs > 1500);
    expect(continued.length).toBeGreaterThan(0);
    expect(await jobsDone(b, 'length')).toBeGreaterThan(0);
    await b.stop();
  }, 120_000);

  it('on SIGTERM fails readiness first, then hands back what does not finish in time; the streams carry on', async () => {
    const c = await startWorker({ WORKER_DRAIN_TIMEOUT_MS: '300', STORIES_SLOTS: '3' });
    const conversations = await Promise.all([1, 2, 3].map(() => client.conversations.create({})));
    // Greedy: batched decoding is not bit-for-bit the same in another batch, and sampling amplifies that; the
    // first test shows sampled streams continuing, this one that nothing but a terminal error can go wrong.
    const streams = conversations.map((conv) => statefulStream(client, conv.id, 1200, 0));
    await until('the worker to fill its slots', async () => (await busySlots(c)) === 3);
    await startWorker(); // where the handed-back jobs go
    const exited = exitOf(c);
    c.proc.kill('SIGTERM');
    await until('readiness to fail', async () => {
      const res = await fetch(`${c.url}/health/ready`).catch(() => null);
      return res?.status === 503;
    });
    expect((await fetch(`${c.url}/health`)).status).toBe(200);
    expect(CLEAN_EXIT).toContain(await exited);

    const results = await Promise.all(streams);
    for (const r of results) {
      if (r.error !== null) {
        expect(r.error).toMatch(/failed mid-generation/);
        continue;
      }
      expect(r.text).toBe(r.completed);
      expect(r.text.length).toBeGreaterThan(100);
    }
    expect(results.filter((r) => r.error === null).length).toBeGreaterThan(0);
    expect(c.log()).toMatch(/handing back [1-9]/);
  }, 120_000);

  it('recycles a worker after N jobs without failing a request', async () => {
    const d = await startWorker({ WORKER_RECYCLE_AFTER_JOBS: '2' });
    const exited = exitOf(d);
    const texts: string[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await client.completions.create({ model: MODEL, prompt: PROMPT, max_tokens: 20 });
      texts.push(res.choices[0]!.text);
    }
    expect(texts.every((t) => t.length > 0)).toBe(true);
    expect(CLEAN_EXIT).toContain(await exited);
    expect(d.log()).toMatch(/recycling after 2 jobs/);
  }, 120_000);

  it('a gateway told to stop fails readiness and finishes its open streams', async () => {
    const gw = await startApp('api-gateway', platform.env, { readyPath: '/health/ready' });
    apps.push(gw);
    const other = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: platform.apiKey, maxRetries: 0 });
    const exited = exitOf(gw);
    const stream = await other.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: PROMPT }],
      stream: true,
      max_tokens: 600,
      seed: 5,
      temperature: 0.8,
    });
    let text = '';
    let finish: string | null = null;
    let stopped = false;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (!stopped && text) {
        stopped = true;
        gw.proc.kill('SIGTERM');
        await until('the gateway readiness to fail', async () => {
          const res = await fetch(`${gw.url}/health/ready`).catch(() => null);
          return res === null || res.status === 503;
        });
      }
    }
    expect(stopped).toBe(true);
    expect(finish).toBe('length');
    expect(text).toBe(await reference(client, 5, 600));
    expect(CLEAN_EXIT).toContain(await exited);
  }, 120_000);
});
