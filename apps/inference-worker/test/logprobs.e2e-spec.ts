/**
 * logprobs and logit_bias through a real inference worker process and the real stories260K model: jobs go on the
 * model's BullMQ queue as the gateway enqueues them, and the test reads the worker's events on its own reply
 * channel, as a gateway replica would.
 *
 * Needs a build first (`node infra/scripts/build.mjs && npx jest apps/inference-worker/test --runInBand`).
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import {
  ChatCompleteV1Payload,
  InferenceErrorCode,
  JOBS,
  JobPayload,
  StreamEvent,
  TextCompleteV1Payload,
  TokenLogprob,
  inferenceQueueName,
  replyChannel,
} from '@llmp/contracts';
import { REPO_ROOT, RunningApp, TEST_REDIS_URL, createQueuePrefix, startApp } from '@llmp/testing';

const MODEL = 'stories260k';
const STORIES_GGUF = resolve(REPO_ROOT, '../shared/models/stories260K.gguf');
const PROMPT = 'Once upon a time';

type End = Extract<StreamEvent, { type: 'end' }>;
type Delta = Extract<StreamEvent, { type: 'delta' }>;

/** The model's token pieces, read from the GGUF file by node-llama-cpp (an ES module, so in a child process). */
function readVocabulary(): string[] {
  const script =
    "import { readGgufFileInfo } from 'node-llama-cpp';" +
    `const info = await readGgufFileInfo(${JSON.stringify(STORIES_GGUF)});` +
    'process.stdout.write(JSON.stringify(info.metadata.tokenizer.ggml.tokens));';
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: REPO_ROOT });
  return JSON.parse(out.toString()) as string[];
}

describe('inference worker logprobs and logit_bias (stories260K)', () => {
  const queuePrefix = createQueuePrefix('llmplp');
  const channel = replyChannel(queuePrefix.prefix, `logprobs-${randomUUID()}`);
  const events = new Map<string, StreamEvent[]>();
  const waiters = new Map<string, () => void>();
  let worker: RunningApp;
  let subscriber: Redis;
  let connection: Redis;
  let queue: Queue;
  let pieces: string[];

  beforeAll(async () => {
    pieces = readVocabulary();
    subscriber = new Redis(TEST_REDIS_URL);
    await subscriber.subscribe(channel);
    subscriber.on('message', (_channel: string, message: string) => {
      const ev = JSON.parse(message) as StreamEvent;
      events.set(ev.jobId, [...(events.get(ev.jobId) ?? []), ev]);
      if (ev.type === 'end' || ev.type === 'error') waiters.get(ev.jobId)?.();
    });
    connection = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    queue = new Queue(inferenceQueueName(MODEL), { connection, prefix: queuePrefix.prefix });
    worker = await startApp(
      'inference-worker',
      { REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: queuePrefix.prefix, WORKER_MODELS: MODEL },
      { readyPath: '/health/ready', timeoutMs: 60_000 },
    );
  }, 90_000);

  afterAll(async () => {
    await worker?.stop();
    await queue?.close();
    connection?.disconnect();
    subscriber?.disconnect();
    await queuePrefix.cleanup();
  });

  /** Enqueues a job and resolves with its events once it ended (or failed). */
  async function run<N extends 'chat.complete.v1' | 'text.complete.v1'>(
    name: N,
    payload: Omit<JobPayload<N>, 'requestId' | 'model' | 'replyTo'>,
  ): Promise<StreamEvent[]> {
    const jobId = randomUUID();
    const done = new Promise<void>((res) => waiters.set(jobId, res));
    const data = JOBS[name].payload.parse({ ...payload, requestId: jobId, model: MODEL, replyTo: { channel } });
    await queue.add(name, data, { jobId, removeOnComplete: true, removeOnFail: true });
    const timeout = new Promise<never>((_, rej) => {
      const timer = setTimeout(() => rej(new Error(`job ${jobId} did not end:\n${worker.output()}`)), 30_000);
      void done.finally(() => clearTimeout(timer));
    });
    await Promise.race([done, timeout]);
    return events.get(jobId) ?? [];
  }

  const complete = (sampling: TextCompleteV1Payload['sampling'], stream = false) =>
    run('text.complete.v1', { stream, prompt: PROMPT, sampling });
  const endOf = (evs: StreamEvent[]): End => {
    const end = evs.find((e): e is End => e.type === 'end');
    if (!end) throw new Error(`no end event: ${JSON.stringify(evs)}`);
    return end;
  };
  const idOf = (text: string) => pieces.findIndex((p) => p.replace(/\u2581/g, ' ') === text);

  function expectConsistent(entries: TokenLogprob[], top: number) {
    for (const e of entries) {
      expect(e.logprob).toBeLessThanOrEqual(0);
      expect(e.top_logprobs.length).toBeLessThanOrEqual(top);
      expect(e.top_logprobs.length).toBeGreaterThan(0);
      for (const alt of e.top_logprobs) expect(alt.logprob).toBeLessThanOrEqual(0);
      const mass = e.top_logprobs.reduce((sum, alt) => sum + Math.exp(alt.logprob), 0);
      expect(mass).toBeLessThanOrEqual(1 + 1e-6);
      // Greedy: the chosen token is the most likely one.
      const best = Math.max(...e.top_logprobs.map((alt) => alt.logprob));
      expect(e.logprob).toBeCloseTo(best, 6);
      expect(e.top_logprobs[0]!.logprob).toBe(best);
      expect(Buffer.from(e.bytes!).toString('utf8')).toBe(e.token);
    }
  }

  it('reports each generated token of a completion with its logprob and its top alternatives (greedy)', async () => {
    const end = endOf(await complete({ maxTokens: 64, temperature: 0, stop: [], logprobs: { top: 5 } }));
    expect(end.finishReason).toBe('length');
    const entries = end.logprobs!;
    expect(entries).toHaveLength(end.usage.completionTokens);
    expect(entries.map((e) => e.token).join('')).toBe(end.text);
    expectConsistent(entries, 5);
    expect(entries.every((e) => e.token === e.top_logprobs[0]!.token)).toBe(true);
  });

  it('streams a chat reply with the entries of exactly each delta text, cut at a stop sequence', async () => {
    const messages: ChatCompleteV1Payload['messages'] = [{ role: 'user', content: 'Tell me a story about a dog' }];
    const evs = await run('chat.complete.v1', {
      stream: true,
      messages,
      sampling: { maxTokens: 120, temperature: 0, stop: ['.'], logprobs: { top: 3 } },
    });
    const end = endOf(evs);
    const deltas = evs.filter((e): e is Delta => e.type === 'delta');
    expect(end.finishReason).toBe('stop');
    expect(end.text.length).toBeGreaterThan(0);
    expect(end.logprobs).toBeUndefined();
    for (const d of deltas) expect(d.logprobs!.map((e) => e.token).join('')).toBe(d.text);
    expect(deltas.map((d) => d.text).join('')).toBe(end.text);
    expectConsistent(
      deltas.flatMap((d) => d.logprobs!),
      3,
    );
  });

  it('gives only the chosen tokens (no alternatives) when no top logprobs are asked for', async () => {
    const end = endOf(await complete({ maxTokens: 16, temperature: 0, stop: [], logprobs: { top: 0 } }));
    expect(end.logprobs).toHaveLength(16);
    expect(end.logprobs!.every((e) => e.top_logprobs.length === 0 && e.logprob <= 0)).toBe(true);
    expect(end.logprobs!.map((e) => e.token).join('')).toBe(end.text);
  });

  it('bans a token with a bias of -100: greedy decoding picks something else and it never appears', async () => {
    const base = endOf(await complete({ maxTokens: 24, temperature: 0, stop: [], logprobs: { top: 5 } }));
    const first = base.logprobs![0]!.token;
    const id = idOf(first);
    expect(id).toBeGreaterThan(-1);

    const banned = endOf(
      await complete({ maxTokens: 24, temperature: 0, stop: [], logitBias: { [id]: -100 }, logprobs: { top: 5 } }),
    );
    expect(banned.logprobs![0]!.token).not.toBe(first);
    const tokens = banned.logprobs!.flatMap((e) => [e.token, ...e.top_logprobs.map((alt) => alt.token)]);
    expect(tokens).not.toContain(first);
    expectConsistent(banned.logprobs!, 5);
  });

  it('forces a token with a bias of +100 and ends at once with +100 on the end-of-text token', async () => {
    const base = endOf(await complete({ maxTokens: 24, temperature: 0, stop: [] }));
    const target = pieces.findIndex(
      (p, i) => i > 258 && p.startsWith('\u2581') && p.length > 3 && !base.text.includes(p.replace(/\u2581/g, ' ')),
    );
    const word = pieces[target]!.replace(/\u2581/g, ' ');
    const forced = endOf(
      await complete({ maxTokens: 8, temperature: 0.8, stop: [], logitBias: { [target]: 100 }, logprobs: { top: 2 } }),
    );
    expect(forced.text).toContain(word.trim());
    expect(forced.logprobs!.some((e) => e.token.trim() === word.trim() && e.logprob > -1e-3)).toBe(true);

    const eos = pieces.indexOf('</s>');
    const ended = endOf(await complete({ maxTokens: 24, temperature: 0, stop: [], logitBias: { [eos]: 100 } }));
    expect(ended.usage.completionTokens).toBe(0);
    expect(ended.finishReason).toBe('stop');
  });

  it('rejects a logit_bias token id outside the vocabulary before starting, naming logit_bias', async () => {
    const evs = await complete({ maxTokens: 8, stop: [], logitBias: { [pieces.length]: 5 } });
    expect(evs.map((e) => e.type)).toEqual(['error']);
    expect(evs[0]).toMatchObject({
      code: InferenceErrorCode.InvalidRequest,
      param: 'logit_bias',
      retrying: false,
    });
  });
});
