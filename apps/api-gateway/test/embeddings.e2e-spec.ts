/**
 * `POST /v1/embeddings` end to end: auth, a real embedding-worker (the embedding models of infra/config/models.yaml
 * plus two test entries: a llama.cpp GGUF and a copy of potion declared Matryoshka so `dimensions` truncation can be
 * exercised) and a real api-gateway, started as processes from dist/, called with the official `openai` SDK (raw
 * fetch where the case is about bytes on the wire).
 *
 * Needs a build first: `node infra/scripts/build.mjs && npx jest apps/api-gateway/test/embeddings --runInBand`.
 */
import { AutoTokenizer, env as transformersEnv } from '@huggingface/transformers';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { APIError, OpenAI } from 'openai';
import type { CreateEmbeddingResponse } from 'openai/resources/embeddings';
import { decodeVectors, embeddingQueueName } from '@llmp/contracts';
import { REPO_ROOT, RunningPlatform, TEST_REDIS_URL, metricValue, startPlatform } from '@llmp/testing';

const POTION = 'potion-base-2m';
const GLOVE = 'glove-sif-100d';
const LLAMA = 'stories260k-embed';
const TRUNCATABLE = 'potion-truncatable';
const SHARED_MODELS = resolve(REPO_ROOT, '../shared/models');
// Long enough for batches to form reliably on a busy 2-core machine; the default is 2 ms.
const BATCH_WAIT_MS = 10;

const TEST_MODELS = `
  - id: ${LLAMA}
    kind: embedding
    # Not an embedding model: a small llama GGUF whose pooled hidden state exercises the llama.cpp backend.
    backend: llama
    path: ${join(SHARED_MODELS, 'stories260K.gguf')}
    dimensions: 64
    max_tokens: 256
    threads: 1
    gpu: false
  - id: ${TRUNCATABLE}
    kind: embedding
    # potion declared Matryoshka, only to exercise dimensions truncation and renormalisation.
    backend: transformers
    path: ${join(SHARED_MODELS, 'potion-base-2M')}
    dimensions: 64
    matryoshka: true
    gpu: false
`;

interface ExpectedError {
  status: number;
  code: string;
  param: string | null;
}

async function expectApiError(call: Promise<unknown>, expected: ExpectedError): Promise<APIError> {
  let caught: unknown;
  try {
    await call;
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(APIError);
  const err = caught as APIError;
  expect({ status: err.status, code: err.code, param: err.param }).toEqual(expected);
  return err;
}

function norm(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  return Math.sqrt(s);
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!;
  return dot / (norm(a) * norm(b));
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

function base64Floats(s: string): number[] {
  const bytes = Buffer.from(s, 'base64');
  return Array.from(new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)));
}

/** Reads one sample of a Prometheus text exposition; undefined when the series does not exist yet. */
const SENTENCES = Array.from(
  { length: 20 },
  (_, i) => `Sentence number ${i} is about ${['cats', 'markets', 'rivers', 'music', 'databases'][i % 5]} and more.`,
);
const TARGET = 'The quick brown fox jumps over the lazy dog.';

describe('POST /v1/embeddings (gateway + embedding worker as processes)', () => {
  let platform: RunningPlatform | undefined;
  let client: OpenAI;
  let jsonHeaders: Record<string, string>;
  let scratch: string;
  /** Requests and prompt_tokens of every successful request, per model, to check the usage records at the end. */
  const usageByModel = new Map<string, { requests: number; tokens: number }>();

  async function embed(params: OpenAI.EmbeddingCreateParams): Promise<CreateEmbeddingResponse> {
    const res = await client.embeddings.create(params);
    const seen = usageByModel.get(params.model) ?? { requests: 0, tokens: 0 };
    usageByModel.set(params.model, { requests: seen.requests + 1, tokens: seen.tokens + res.usage.prompt_tokens });
    return res;
  }

  async function floats(model: string, input: string | string[]): Promise<number[][]> {
    const res = await embed({ model, input, encoding_format: 'float' });
    return res.data.map((d) => d.embedding);
  }

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'llmp-embeddings-e2e-'));
    const modelsConfig = join(scratch, 'models.yaml');
    const base = readFileSync(resolve(REPO_ROOT, 'infra/config/models.yaml'), 'utf8');
    writeFileSync(modelsConfig, `${base.trimEnd()}\n${TEST_MODELS}`);
    platform = await startPlatform({
      worker: false,
      embeddingWorker: true,
      env: { LOG_LEVEL: 'warn', MODELS_CONFIG: modelsConfig, EMBEDDING_BATCH_WAIT_MS: String(BATCH_WAIT_MS) },
    });
    client = new OpenAI({ baseURL: `${platform.gateway.url}/v1`, apiKey: platform.apiKey, maxRetries: 0 });
    jsonHeaders = { 'content-type': 'application/json', authorization: `Bearer ${platform.apiKey}` };
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('lists embedding models beside the chat models in /v1/models', async () => {
    const ids = (await client.models.list()).data.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(['stories260k', POTION, GLOVE, LLAMA]));
  });

  it('answers in OpenAI’s shape with unit-length float vectors', async () => {
    const res = await embed({ model: POTION, input: ['a cat sits on the mat', 'hello'], encoding_format: 'float' });
    expect(res).toEqual({
      object: 'list',
      data: [
        { object: 'embedding', index: 0, embedding: expect.any(Array) },
        { object: 'embedding', index: 1, embedding: expect.any(Array) },
      ],
      model: POTION,
      usage: { prompt_tokens: expect.any(Number), total_tokens: res.usage.prompt_tokens },
    });
    for (const d of res.data) {
      expect(d.embedding).toHaveLength(64);
      expect(norm(d.embedding)).toBeCloseTo(1, 5);
    }
  });

  it('serves base64 (the SDK’s default, decoded by the SDK) identical to float', async () => {
    const input = ['Bananas are yellow fruits rich in potassium', 'Docker packages applications into containers'];
    const asFloat = await floats(POTION, input);
    // No encoding_format: the SDK asks for base64 and decodes it into floats itself.
    const viaSdkDefault = await embed({ model: POTION, input });
    expect(viaSdkDefault.data.map((d) => Array.from(d.embedding))).toEqual(asFloat);
    // Explicit base64: little-endian float32 bytes.
    const asBase64 = await embed({ model: POTION, input, encoding_format: 'base64' });
    for (const [i, d] of asBase64.data.entries()) {
      expect(typeof d.embedding).toBe('string');
      expect(base64Floats(d.embedding as unknown as string)).toEqual(asFloat[i]);
    }
  });

  it('answers floats when encoding_format is left out of the raw request, as OpenAI does', async () => {
    const res = await fetch(`${platform!.gateway.url}/v1/embeddings`, {
      method: 'POST',
      headers: jsonHeaders,
      body: JSON.stringify({ model: POTION, input: 'hello world', user: 'someone' }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as CreateEmbeddingResponse;
    expect(body.data[0]!.embedding).toEqual(expect.arrayContaining([expect.any(Number)]));
    expect(body.data[0]!.embedding).toHaveLength(64);
  });

  it('counts usage.prompt_tokens with the model’s own tokenizer', async () => {
    transformersEnv.localModelPath = `${SHARED_MODELS}/`;
    transformersEnv.allowRemoteModels = false;
    const tokenizer = await AutoTokenizer.from_pretrained('potion-base-2M');
    const input = ['Kubernetes orchestrates containers on a cluster', 'tokenization counts subwords', 'x'];
    const expected = input.reduce((n, t) => n + tokenizer.encode(t).length, 0);
    const res = await embed({ model: POTION, input, encoding_format: 'float' });
    expect(expected).toBeGreaterThan(0);
    expect(res.usage).toEqual({ prompt_tokens: expected, total_tokens: expected });
  });

  it('gives a text the same vector alone, inside a 20-text batch and among 16 concurrent requests (1e-5)', async () => {
    const [alone] = await floats(POTION, TARGET);
    const batch = await floats(POTION, [...SENTENCES.slice(0, 10), TARGET, ...SENTENCES.slice(10, 19)]);
    expect(batch).toHaveLength(20);
    expect(maxAbsDiff(alone!, batch[10]!)).toBeLessThanOrEqual(1e-5);
    // Every other text of the batch also equals its own single embedding.
    const singles = await Promise.all(SENTENCES.slice(0, 3).map((s) => floats(POTION, s)));
    singles.forEach(([v], i) => expect(maxAbsDiff(v!, batch[i]!)).toBeLessThanOrEqual(1e-5));

    const before = await fetch(`${platform!.embeddingWorker!.url}/metrics`).then((r) => r.text());
    const concurrent = await Promise.all([TARGET, ...SENTENCES.slice(0, 15)].map((s) => floats(POTION, s)));
    const after = await fetch(`${platform!.embeddingWorker!.url}/metrics`).then((r) => r.text());
    expect(maxAbsDiff(alone!, concurrent[0]![0]!)).toBeLessThanOrEqual(1e-5);
    concurrent.slice(1, 4).forEach(([v], i) => expect(maxAbsDiff(v!, singles[i]![0]!)).toBeLessThanOrEqual(1e-5));

    // The 16 requests were served by fewer model calls than requests: they were batched together.
    const calls = (t: string) => metricValue(t, 'embedding_batch_size_count', { model: POTION }) ?? 0;
    const texts = (t: string) => metricValue(t, 'embedding_batch_size_sum', { model: POTION }) ?? 0;
    expect(texts(after) - texts(before)).toBe(16);
    expect(calls(after) - calls(before)).toBeLessThan(16);
  });

  it('places similar sentences closer than unrelated ones (potion-base-2m)', async () => {
    const [cat, kitten, stocks] = await floats(POTION, [
      'a cat sits on the mat',
      'a kitten rests on a rug',
      'stock markets fell sharply',
    ]);
    expect(cosine(cat!, kitten!)).toBeGreaterThan(cosine(cat!, stocks!) + 0.3);
  });

  it('returns 100 dimensions from glove-sif-100d', async () => {
    const [v] = await floats(GLOVE, 'the river flows into the sea');
    expect(v).toHaveLength(100);
    expect(norm(v!)).toBeCloseTo(1, 5);
  });

  it('returns a zero vector, never NaN, for input with nothing to embed', async () => {
    // Emoji only is all [UNK] for potion; "Kubernetes" is not in glove's vocabulary; whitespace has no token.
    for (const [model, input] of [
      [POTION, '😀😀'],
      [GLOVE, 'Kubernetes'],
      [POTION, '   '],
    ] as const) {
      // JSON has no NaN: it would arrive as null.
      const body = await embed({ model, input: [input, 'hello'], encoding_format: 'float' });
      expect(body.data[0]!.embedding).toHaveLength(model === GLOVE ? 100 : 64);
      expect(body.data[0]!.embedding.every((x) => x === 0)).toBe(true);
      expect(norm(body.data[1]!.embedding)).toBeCloseTo(1, 5);
    }
  });

  it('embeds token-id input as the same tokens of text', async () => {
    transformersEnv.localModelPath = `${SHARED_MODELS}/`;
    const tokenizer = await AutoTokenizer.from_pretrained('potion-base-2M');
    const text = 'a cat sits on the mat';
    const ids = tokenizer.encode(text);
    const [fromText] = await floats(POTION, text);
    const one = await embed({ model: POTION, input: ids, encoding_format: 'float' });
    const many = await embed({ model: POTION, input: [ids, ids.slice(0, 2)], encoding_format: 'float' });
    expect(maxAbsDiff(one.data[0]!.embedding, fromText!)).toBeLessThanOrEqual(1e-6);
    expect(maxAbsDiff(many.data[0]!.embedding, fromText!)).toBeLessThanOrEqual(1e-6);
    expect(many.data).toHaveLength(2);
    expect(one.usage.prompt_tokens).toBe(ids.length);
  });

  it('truncates and renormalises to `dimensions` on a Matryoshka model', async () => {
    const full = await embed({ model: TRUNCATABLE, input: TARGET, encoding_format: 'float' });
    const short = await embed({ model: TRUNCATABLE, input: TARGET, encoding_format: 'float', dimensions: 16 });
    const v = short.data[0]!.embedding;
    expect(v).toHaveLength(16);
    expect(norm(v)).toBeCloseTo(1, 5);
    const prefix = full.data[0]!.embedding.slice(0, 16);
    const scale = norm(prefix);
    expect(
      maxAbsDiff(
        v,
        prefix.map((x) => x / scale),
      ),
    ).toBeLessThanOrEqual(1e-6);
    // The native size is always accepted.
    const same = await embed({ model: POTION, input: TARGET, encoding_format: 'float', dimensions: 64 });
    expect(same.data[0]!.embedding).toHaveLength(64);
  });

  it('serves a GGUF embedding model through llama.cpp behind the same API', async () => {
    const res = await embed({ model: LLAMA, input: ['Once upon a time', 'a little dog'], encoding_format: 'float' });
    expect(res.data.map((d) => d.embedding.length)).toEqual([64, 64]);
    expect(norm(res.data[0]!.embedding)).toBeCloseTo(1, 5);
    expect(res.usage.prompt_tokens).toBeGreaterThan(2);
    const [alone] = await floats(LLAMA, 'a little dog');
    expect(maxAbsDiff(alone!, res.data[1]!.embedding)).toBeLessThanOrEqual(1e-5);
  });

  it('serves internal jobs without a reply channel through the job’s return value', async () => {
    const prefix = platform!.queuePrefix;
    const connections = [new Redis(TEST_REDIS_URL), new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null })];
    const queue = new Queue(embeddingQueueName(POTION), { connection: connections[0]!, prefix });
    const events = new QueueEvents(embeddingQueueName(POTION), { connection: connections[1]!, prefix });
    try {
      await events.waitUntilReady();
      const job = await queue.add(
        'embed.texts.v1',
        { requestId: 'internal-1', model: POTION, inputs: [TARGET, 'hello'] },
        { removeOnComplete: { age: 300 } },
      );
      const result = (await job.waitUntilFinished(events, 30_000)) as {
        vectors: string;
        dims: number;
        count: number;
        promptTokens: number;
      };
      expect(result).toMatchObject({ dims: 64, count: 2, promptTokens: expect.any(Number) });
      const rows = decodeVectors(result.vectors, result.count, result.dims);
      const [alone] = await floats(POTION, TARGET);
      expect(maxAbsDiff(rows.subarray(0, 64), alone!)).toBeLessThanOrEqual(1e-6);
    } finally {
      await events.close();
      await queue.close();
      for (const c of connections) c.disconnect();
    }
  });

  describe('rejects what OpenAI rejects, naming the parameter', () => {
    it('an empty string, an empty array and an empty item', async () => {
      await expectApiError(client.embeddings.create({ model: POTION, input: '' }), {
        status: 400,
        code: 'invalid_request',
        param: 'input',
      });
      await expectApiError(client.embeddings.create({ model: POTION, input: [] }), {
        status: 400,
        code: 'invalid_request',
        param: 'input',
      });
      await expectApiError(client.embeddings.create({ model: POTION, input: ['ok', ''] }), {
        status: 400,
        code: 'invalid_request',
        param: 'input[1]',
      });
      await expectApiError(client.embeddings.create({ model: POTION, input: [[1, 2], []] }), {
        status: 400,
        code: 'invalid_request',
        param: 'input[1]',
      });
    });

    it('more than 2,048 inputs, stating the limit', async () => {
      const err = await expectApiError(
        client.embeddings.create({ model: POTION, input: Array.from({ length: 2049 }, () => 'x') }),
        { status: 400, code: 'invalid_request', param: 'input' },
      );
      expect(err.message).toContain('2048');
      const ok = await embed({ model: POTION, input: Array.from({ length: 2048 }, (_, i) => `x ${i}`) });
      expect(ok.data).toHaveLength(2048);
      expect(ok.data[2047]!.index).toBe(2047);
    });

    it('an input over the model’s max tokens, stating the limit', async () => {
      const long = 'word '.repeat(600);
      const err = await expectApiError(client.embeddings.create({ model: POTION, input: ['short', long] }), {
        status: 400,
        code: 'context_length_exceeded',
        param: 'input[1]',
      });
      expect(err.message).toContain('512');
      expect(err.message).toContain('600');
      await expectApiError(client.embeddings.create({ model: POTION, input: long }), {
        status: 400,
        code: 'context_length_exceeded',
        param: 'input',
      });
    });

    it('dimensions on a model that cannot be truncated, or beyond the native size', async () => {
      await expectApiError(client.embeddings.create({ model: POTION, input: 'x', dimensions: 32 }), {
        status: 400,
        code: 'invalid_request',
        param: 'dimensions',
      });
      await expectApiError(client.embeddings.create({ model: TRUNCATABLE, input: 'x', dimensions: 65 }), {
        status: 400,
        code: 'invalid_request',
        param: 'dimensions',
      });
      await expectApiError(client.embeddings.create({ model: POTION, input: 'x', dimensions: 0 }), {
        status: 400,
        code: 'invalid_request',
        param: 'dimensions',
      });
    });

    it('bad token ids and a bad encoding_format', async () => {
      await expectApiError(client.embeddings.create({ model: POTION, input: [1, -2] }), {
        status: 400,
        code: 'invalid_request',
        param: 'input[1]',
      });
      await expectApiError(client.embeddings.create({ model: POTION, input: [[5], [99_999_999]] }), {
        status: 400,
        code: 'invalid_request',
        param: 'input[1]',
      });
      const res = await fetch(`${platform!.gateway.url}/v1/embeddings`, {
        method: 'POST',
        headers: jsonHeaders,
        body: JSON.stringify({ model: POTION, input: 'x', encoding_format: 'hex' }),
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { param: string } }).error.param).toBe('encoding_format');
    });

    it('an unknown model (404), a chat model on /v1/embeddings and an embedding model on chat (400)', async () => {
      await expectApiError(client.embeddings.create({ model: 'no-such-model', input: 'x' }), {
        status: 404,
        code: 'model_not_found',
        param: 'model',
      });
      await expectApiError(client.embeddings.create({ model: 'stories260k', input: 'x' }), {
        status: 400,
        code: 'unsupported_capability',
        param: 'model',
      });
      await expectApiError(
        client.chat.completions.create({ model: POTION, messages: [{ role: 'user', content: 'hi' }] }),
        { status: 400, code: 'unsupported_capability', param: 'model' },
      );
      await expectApiError(client.completions.create({ model: POTION, prompt: 'hi' }), {
        status: 400,
        code: 'unsupported_capability',
        param: 'model',
      });
    });
  });

  it('records usage under the embedding model', async () => {
    const expected = usageByModel.get(GLOVE)!;
    expect(expected.tokens).toBeGreaterThan(0);
    let row: { group: string; requests: number; prompt_tokens: number } | undefined;
    for (let i = 0; i < 50 && row?.requests !== expected.requests; i++) {
      const res = await fetch(`${platform!.gateway.url}/v1/usage?group_by=model`, { headers: jsonHeaders });
      const report = (await res.json()) as { data: { group: string; requests: number; prompt_tokens: number }[] };
      row = report.data.find((r) => r.group === GLOVE);
      if (row?.requests !== expected.requests) await new Promise((r) => setTimeout(r, 100));
    }
    expect(row).toMatchObject({ requests: expected.requests, prompt_tokens: expected.tokens });
  });
});
