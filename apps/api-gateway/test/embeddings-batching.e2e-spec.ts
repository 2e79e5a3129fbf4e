/**
 * The gateway's embedding micro-batcher end to end: auth, an embedding worker and the gateway as processes from
 * dist/, called with the official `openai` SDK. Concurrent single-text requests must be served by fewer jobs than
 * requests (the worker's `embedding_jobs_total`), and each must still get exactly what it would get alone: its
 * vector, its `usage`, its own usage row, its own 400 for an input over `max_tokens`, and an answer even when a
 * batch mate goes away.
 *
 * Needs a build first: `node infra/scripts/build.mjs && npx jest apps/api-gateway/test/embeddings-batching`.
 */
import { APIError, OpenAI } from 'openai';
import type { CreateEmbeddingResponse } from 'openai/resources/embeddings';
import { Client } from 'pg';
import { RunningPlatform, startPlatform } from '@llmp/testing';
import { mintKey, usageRows } from './support/usage-fixtures';

const MODEL = 'potion-base-2m';

/** `n` different texts of different lengths. */
const texts = (tag: string, n: number) =>
  Array.from({ length: n }, (_, i) => `${tag} ${i} ${'the harbour lights and the tide '.repeat(1 + (i % 5))}`.trim());

/** Sum of a counter's samples whose labels include `labels`, from a Prometheus text page. */
function counter(page: string, name: string, labels: Record<string, string>): number {
  let total = 0;
  for (const line of page.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

function maxAbsDiff(a: number[], b: number[]): number {
  expect(a).toHaveLength(b.length);
  return a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);
}

describe('embedding requests merged into shared jobs (gateway + embedding worker + auth as processes)', () => {
  let platform: RunningPlatform;
  let db: Client;

  async function newClient(name: string): Promise<{ client: OpenAI; keyId: string }> {
    const { key, id } = await mintKey(platform, name);
    return { client: new OpenAI({ baseURL: `${platform.gateway.url}/v1`, apiKey: key, maxRetries: 0 }), keyId: id };
  }

  /** The worker's completed jobs and embedded texts so far. */
  async function workerCounts(): Promise<{ jobs: number; texts: number }> {
    const page = await fetch(`${platform.embeddingWorker!.url}/metrics`).then((r) => r.text());
    return {
      jobs: counter(page, 'embedding_jobs_total', { model: MODEL, outcome: 'completed' }),
      texts: counter(page, 'embedding_texts_total', { model: MODEL }),
    };
  }

  /** The prompt tokens of the key's embedding usage rows, once `expected` of them are there. */
  async function rowsOf(apiKeyId: string, expected: number): Promise<number[]> {
    const rows = await usageRows(db, apiKeyId, expected);
    return rows.filter((r) => r.endpoint === 'embeddings').map((r) => r.prompt_tokens);
  }

  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);

  beforeAll(async () => {
    platform = await startPlatform({ worker: false, embeddingWorker: true, env: { LOG_LEVEL: 'warn' } });
    db = new Client({ connectionString: platform.databaseUrl });
    await db.connect();
  }, 120_000);

  afterAll(async () => {
    await db?.end();
    await platform?.stop();
  });

  it('serves N concurrent single-text requests with fewer jobs, each with its own vector, usage and row', async () => {
    const { client, keyId } = await newClient('batching');
    const inputs = texts('batch', 32);
    // Each text alone first, one request at a time: one job each.
    const alone: CreateEmbeddingResponse[] = [];
    for (const input of inputs) {
      alone.push(await client.embeddings.create({ model: MODEL, input, encoding_format: 'float' }));
    }
    const before = await workerCounts();
    const together = await Promise.all(
      inputs.map((input, i) =>
        client.embeddings.create({ model: MODEL, input, ...(i % 2 ? { encoding_format: 'float' as const } : {}) }),
      ),
    );
    const after = await workerCounts();

    expect(after.texts - before.texts).toBe(32);
    expect(after.jobs - before.jobs).toBeLessThan(32);
    together.forEach((res, i) => {
      expect(res.data).toHaveLength(1);
      expect(res.data[0]!.index).toBe(0);
      expect(maxAbsDiff(res.data[0]!.embedding, alone[i]!.data[0]!.embedding)).toBeLessThanOrEqual(1e-6);
      expect(res.usage).toEqual(alone[i]!.usage);
    });
    expect(new Set(together.map((r) => r.usage.prompt_tokens)).size).toBeGreaterThan(3);

    const tokens = [...alone, ...together].map((r) => r.usage.prompt_tokens);
    const rows = await rowsOf(keyId, 64);
    expect(rows).toHaveLength(64);
    expect(sorted(rows)).toEqual(sorted(tokens));
  });

  it('fails only the request whose input is over max_tokens, with the 400 it gets alone', async () => {
    const { client, keyId } = await newClient('isolation');
    const tooLong = 'word '.repeat(600);
    let aloneError: APIError | undefined;
    await client.embeddings.create({ model: MODEL, input: tooLong }).catch((e: APIError) => (aloneError = e));
    expect(aloneError).toBeInstanceOf(APIError);
    expect(aloneError).toMatchObject({ status: 400, code: 'context_length_exceeded', param: 'input' });

    const inputs = texts('isolated', 16);
    const before = await workerCounts();
    const outcomes = await Promise.allSettled([
      ...inputs.slice(0, 8).map((input) => client.embeddings.create({ model: MODEL, input })),
      client.embeddings.create({ model: MODEL, input: tooLong }),
      ...inputs.slice(8).map((input) => client.embeddings.create({ model: MODEL, input })),
    ]);
    const after = await workerCounts();
    expect(after.jobs - before.jobs).toBeLessThan(17);

    const bad = outcomes[8]!;
    expect(bad.status).toBe('rejected');
    const err = (bad as PromiseRejectedResult).reason as APIError;
    expect({ status: err.status, code: err.code, param: err.param, message: err.message }).toEqual({
      status: aloneError!.status,
      code: aloneError!.code,
      param: aloneError!.param,
      message: aloneError!.message,
    });
    const good = outcomes.filter((o, i) => i !== 8);
    expect(good.every((o) => o.status === 'fulfilled')).toBe(true);
    // A refused request records no usage; each served one its own row.
    const served = good.map((o) => (o as PromiseFulfilledResult<{ usage: { prompt_tokens: number } }>).value);
    const rows = await rowsOf(keyId, 16);
    expect(sorted(rows)).toEqual(sorted(served.map((r) => r.usage.prompt_tokens)));
  });

  it('a request that goes away does not take its batch mates with it', async () => {
    const { client } = await newClient('cancel');
    const inputs = texts('cancel', 12);
    const expected = await client.embeddings.create({ model: MODEL, input: inputs, encoding_format: 'float' });
    const leaving = new AbortController();
    const settled = Promise.allSettled(
      inputs.map((input, i) =>
        client.embeddings.create(
          { model: MODEL, input, encoding_format: 'float' },
          i === 5 ? { signal: leaving.signal } : {},
        ),
      ),
    );
    setImmediate(() => leaving.abort());
    const outcomes = await settled;
    outcomes.forEach((o, i) => {
      if (i === 5) return; // aborted or, if it was fast, answered: either way nobody else is affected
      expect(o.status).toBe('fulfilled');
      const res = (o as PromiseFulfilledResult<CreateEmbeddingResponse>).value;
      expect(maxAbsDiff(res.data[0]!.embedding, expected.data[i]!.embedding)).toBeLessThanOrEqual(1e-6);
    });
  });
});
