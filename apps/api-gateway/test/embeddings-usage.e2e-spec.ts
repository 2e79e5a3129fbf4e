/**
 * Usage records of `POST /v1/embeddings` under concurrency, end to end: auth, an embedding worker and the gateway as
 * processes from dist/, called with the official `openai` SDK; the rows are read back from the auth app's Postgres.
 * The gateway coalesces usage records into `usage.record-batch.v1` jobs: N requests must still make exactly N rows
 * with each request's own tokens, and none may be lost when the gateway is stopped right after answering.
 *
 * Needs a build first: `node infra/scripts/build.mjs && npx jest apps/api-gateway/test/embeddings-usage`.
 */
import { OpenAI } from 'openai';
import { Client } from 'pg';
import { RunningPlatform, startPlatform } from '@llmp/testing';
import { mintKey, usageRows } from './support/usage-fixtures';

const MODEL = 'potion-base-2m';

/** `n` different texts of different lengths, so that each request has its own token count. */
const texts = (tag: string, n: number) =>
  Array.from({ length: n }, (_, i) => `${tag} sentence ${i} ${'about rivers and markets '.repeat(1 + (i % 7))}`.trim());

describe('usage of concurrent embedding requests (gateway + embedding worker + auth as processes)', () => {
  let platform: RunningPlatform;
  let db: Client;

  /** One request per input, all at once; resolves with each answer's prompt_tokens. */
  async function burst(key: string, inputs: string[]): Promise<number[]> {
    const client = new OpenAI({ baseURL: `${platform.gateway.url}/v1`, apiKey: key, maxRetries: 0 });
    const answers = await Promise.all(inputs.map((input) => client.embeddings.create({ model: MODEL, input })));
    for (const a of answers) {
      expect(a.data).toHaveLength(1);
      expect(a.usage.total_tokens).toBe(a.usage.prompt_tokens);
    }
    return answers.map((a) => a.usage.prompt_tokens);
  }

  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

  beforeAll(async () => {
    platform = await startPlatform({ worker: false, embeddingWorker: true, env: { LOG_LEVEL: 'warn' } });
    db = new Client({ connectionString: platform.databaseUrl });
    await db.connect();
  }, 120_000);

  afterAll(async () => {
    await db?.end();
    await platform?.stop();
  });

  it('N concurrent requests make exactly N usage rows, each with its request’s tokens', async () => {
    const { key, id } = await mintKey(platform, 'burst');
    const tokens = await burst(key, texts('burst', 96));
    expect(new Set(tokens).size).toBeGreaterThan(3);
    const rows = await usageRows(db, id, tokens.length);
    expect(rows).toHaveLength(96);
    expect(sorted(rows.map((r) => r.prompt_tokens))).toEqual(sorted(tokens));
    for (const r of rows) expect(r).toMatchObject({ completion_tokens: 0, model: MODEL, endpoint: 'embeddings' });
    // No more rows turn up later (a retried or duplicated job counts once).
    await new Promise((r) => setTimeout(r, 300));
    expect(await usageRows(db, id, 0)).toHaveLength(96);

    // The same through GET /v1/usage.
    const res = await fetch(`${platform.gateway.url}/v1/usage?group_by=key`, {
      headers: { authorization: `Bearer ${platform.adminToken}` },
    });
    const report = (await res.json()) as { data: { group: string; requests: number; prompt_tokens: number }[] };
    expect(report.data.find((r) => r.group === id)).toMatchObject({ requests: 96, prompt_tokens: sum(tokens) });
  });

  it('loses no usage record when the gateway is stopped right after answering (flushed on shutdown)', async () => {
    const { key, id } = await mintKey(platform, 'shutdown');
    const tokens = await burst(key, texts('shutdown', 48));
    // SIGTERM at once, while the last records are likely still inside the gateway's coalescing window (the exact
    // case is usage-recorder.int-spec.ts): whatever the timing, every request keeps its row.
    await platform.gateway.stop();
    // Nest re-raises the signal once its shutdown hooks have run; a hung shutdown would have been SIGKILLed.
    expect(platform.gateway.proc.signalCode).toBe('SIGTERM');
    const rows = await usageRows(db, id, tokens.length);
    expect(rows).toHaveLength(48);
    expect(sorted(rows.map((r) => r.prompt_tokens))).toEqual(sorted(tokens));
  });
});
