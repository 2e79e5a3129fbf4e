/**
 * OpenAI's Batch API end to end: auth, rag (files), an inference worker serving stories260k with one slot, and a
 * gateway, started as processes from dist/ and called with the official `openai` SDK: upload a JSONL file
 * (purpose `batch`), create a batch, poll it to `completed`, read its output and error files; a bad line, a
 * model-restricted key, a cancel, listing, the 400/404s; and an interactive request served before the remaining
 * lines of a batch queued on the same model.
 *
 * Needs a build first: `node infra/scripts/build.mjs && npx jest apps/api-gateway/test/batches --runInBand`.
 */
import { APIError, OpenAI, toFile } from 'openai';
import type { Batch } from 'openai/resources/batches';
import { RunningPlatform, createApiKey, registerUser, startPlatform } from '@llmp/testing';

const MODEL = 'stories260k';
/** The end-of-text token of stories260k, banned so every line generates exactly max_tokens (a known duration). */
const NO_EOS = { '2': -100 };

interface Line {
  custom_id: string;
  response: { status_code: number; body: { usage: { completion_tokens: number } } & Record<string, unknown> } | null;
  error: { code: string; message: string } | null;
}

describe('Batch API (gateway + rag + inference worker as processes, openai SDK)', () => {
  let platform: RunningPlatform | undefined;
  let client: OpenAI;

  const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
  const chatLine = (custom_id: string, body: Record<string, unknown>) => ({
    custom_id,
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model: MODEL, messages: [{ role: 'user', content: 'Once upon a time' }], max_tokens: 16, ...body },
  });
  const completionLine = (custom_id: string, maxTokens: number) => ({
    custom_id,
    method: 'POST',
    url: '/v1/completions',
    body: { model: MODEL, prompt: 'The little dog', max_tokens: maxTokens, temperature: 0, logit_bias: NO_EOS },
  });

  async function upload(c: OpenAI, rows: unknown[]) {
    return c.files.create({ file: await toFile(Buffer.from(jsonl(rows)), 'input.jsonl'), purpose: 'batch' });
  }

  async function poll(c: OpenAI, id: string, done: (b: Batch) => boolean, timeoutMs = 60_000): Promise<Batch> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const b = await c.batches.retrieve(id);
      if (done(b)) return b;
      if (Date.now() > deadline) throw new Error(`batch ${id} still ${b.status}: ${JSON.stringify(b)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  const finished = (b: Batch) => ['completed', 'failed', 'expired', 'cancelled'].includes(b.status);

  async function lines(c: OpenAI, fileId: string | null | undefined): Promise<Line[]> {
    if (!fileId) return [];
    const text = await (await c.files.content(fileId)).text();
    return text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Line);
  }

  beforeAll(async () => {
    platform = await startPlatform({
      rag: true,
      workerModels: MODEL,
      // One slot: a batch line and an interactive request compete for it, so the order they are served in shows.
      env: { LOG_LEVEL: 'warn', STORIES_SLOTS: '1' },
      gatewayEnv: { BATCH_LINE_CONCURRENCY: '4' },
    });
    client = new OpenAI({ baseURL: `${platform.gateway.url}/v1`, apiKey: platform.apiKey, maxRetries: 0 });
  }, 180_000);

  afterAll(async () => {
    await platform?.stop();
  });

  it('runs a batch to completed: output lines in OpenAI’s format, a bad line in the error file with its 400', async () => {
    const bad = chatLine('bad', { temperature: 5 });
    const file = await upload(client, [chatLine('a', {}), bad, chatLine('b', { temperature: 0 })]);
    expect(file).toMatchObject({ purpose: 'batch', status: 'processed' });
    const created = await client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
      metadata: { job: 'nightly' },
    });
    expect(created).toMatchObject({
      object: 'batch',
      endpoint: '/v1/chat/completions',
      input_file_id: file.id,
      completion_window: '24h',
      status: 'validating',
      metadata: { job: 'nightly' },
    });
    const batch = await poll(client, created.id, finished);
    expect(batch.status).toBe('completed');
    expect(batch.request_counts).toEqual({ total: 3, completed: 2, failed: 1 });
    for (const t of ['created_at', 'in_progress_at', 'finalizing_at', 'completed_at'] as const) {
      expect(batch[t]).toEqual(expect.any(Number));
    }
    expect(batch.in_progress_at!).toBeGreaterThanOrEqual(batch.created_at);
    expect(batch.completed_at!).toBeGreaterThanOrEqual(batch.finalizing_at!);
    expect(batch.usage!.output_tokens).toBeGreaterThan(0);

    const outFile = await client.files.retrieve(batch.output_file_id!);
    expect(outFile.purpose).toBe('batch_output');
    const out = await lines(client, batch.output_file_id);
    expect(out.map((l) => l.custom_id)).toEqual(['a', 'b']);
    for (const l of out) {
      expect(l).toMatchObject({
        id: expect.stringMatching(/^batch_req_/),
        response: { status_code: 200, request_id: expect.any(String) },
        error: null,
      });
      expect(l.response!.body).toMatchObject({
        object: 'chat.completion',
        model: MODEL,
        choices: [{ index: 0, message: { role: 'assistant', content: expect.any(String) } }],
      });
      expect(l.response!.body.usage.completion_tokens).toBeGreaterThan(0);
    }

    const errors = await lines(client, batch.error_file_id);
    expect(errors.map((l) => [l.custom_id, l.response?.status_code])).toEqual([['bad', 400]]);
    // The same body sent interactively gets the same answer.
    const interactive = await fetch(`${platform!.gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${platform!.apiKey}` },
      body: JSON.stringify(bad.body),
    });
    expect(interactive.status).toBe(400);
    expect(errors[0]!.response!.body).toEqual(await interactive.json());
  });

  it('runs /v1/completions lines with the model permissions of the key that created the batch', async () => {
    const restricted = await createApiKey(platform!.gateway.url, platform!.adminToken, {
      name: 'tiny-only',
      models: ['tinystories-656k'],
    });
    const limited = new OpenAI({ baseURL: `${platform!.gateway.url}/v1`, apiKey: restricted, maxRetries: 0 });
    const file = await upload(limited, [completionLine('c1', 8)]);
    const created = await limited.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/completions',
      completion_window: '24h',
    });
    const denied = await poll(limited, created.id, finished);
    expect(denied.request_counts).toEqual({ total: 1, completed: 0, failed: 1 });
    const [line] = await lines(limited, denied.error_file_id);
    expect(line!.response).toMatchObject({ status_code: 404, body: { error: { code: 'model_not_found' } } });

    // The admin's key may use the model: the same file as the admin's runs.
    const own = await upload(client, [completionLine('c1', 8)]);
    const ok = await poll(
      client,
      (await client.batches.create({ input_file_id: own.id, endpoint: '/v1/completions', completion_window: '24h' }))
        .id,
      finished,
    );
    const [done] = await lines(client, ok.output_file_id);
    expect(done!.response!.body).toMatchObject({ object: 'text_completion', usage: { completion_tokens: 8 } });
  });

  it('serves an interactive request before the remaining lines of a batch queued on the same model', async () => {
    const total = 10;
    const file = await upload(
      client,
      Array.from({ length: total }, (_, i) => completionLine(`p${i}`, 300)),
    );
    const created = await client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/completions',
      completion_window: '24h',
    });
    await poll(client, created.id, (b) => b.status === 'in_progress' || finished(b));
    const before = (await client.batches.retrieve(created.id)).request_counts!.completed;
    const started = Date.now();
    const answer = await client.completions.create({ model: MODEL, prompt: 'Hello', max_tokens: 8 });
    const waited = Date.now() - started;
    const after = (await client.batches.retrieve(created.id)).request_counts!.completed;
    expect(answer.choices[0]!.text.length).toBeGreaterThan(0);
    // At most the line generating when it arrived (and one finishing meanwhile) ran before it; the rest waited.
    expect(after - before).toBeLessThanOrEqual(2);
    expect(after).toBeLessThan(total);
    const batch = await poll(client, created.id, finished, 90_000);
    expect(batch.request_counts).toEqual({ total, completed: total, failed: 0 });
    // Measured, not asserted: how long the interactive request waited behind the batch.
    console.log(
      `interactive completion behind a ${total}-line batch: ${waited} ms (lines done before: ${before}, after: ${after})`,
    );
  });

  it('cancels a batch: cancelling, then cancelled with the undone lines as batch_cancelled errors', async () => {
    const file = await upload(
      client,
      Array.from({ length: 12 }, (_, i) => completionLine(`x${i}`, 300)),
    );
    const created = await client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/completions',
      completion_window: '24h',
    });
    await poll(client, created.id, (b) => b.status === 'in_progress');
    const cancelling = await client.batches.cancel(created.id);
    expect(cancelling.status).toBe('cancelling');
    expect(cancelling.cancelling_at).toEqual(expect.any(Number));
    const batch = await poll(client, created.id, finished);
    expect(batch.status).toBe('cancelled');
    expect(batch.cancelled_at).toEqual(expect.any(Number));
    expect(batch.request_counts!.completed).toBeLessThan(12);
    const errors = await lines(client, batch.error_file_id);
    expect(errors.length).toBe(12 - batch.request_counts!.completed);
    expect(errors.every((l) => l.response === null && l.error?.code === 'batch_cancelled')).toBe(true);
  });

  it('fails a batch whose input file is not valid JSONL, with numbered errors', async () => {
    const file = await client.files.create({
      file: await toFile(Buffer.from(`${JSON.stringify(chatLine('ok', {}))}\nnot json\n`), 'broken.jsonl'),
      purpose: 'batch',
    });
    const created = await client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    const batch = await poll(client, created.id, finished);
    expect(batch.status).toBe('failed');
    expect(batch.failed_at).toEqual(expect.any(Number));
    expect(batch.errors!.data).toEqual([expect.objectContaining({ code: 'invalid_json_line', line: 2 })]);
  });

  it('lists the caller’s batches newest first with after/limit cursors', async () => {
    const page = await client.batches.list({ limit: 2 });
    expect(page.data).toHaveLength(2);
    expect(page.has_more).toBe(true);
    expect(page.data[0]!.created_at).toBeGreaterThanOrEqual(page.data[1]!.created_at);
    const next = await client.batches.list({ limit: 2, after: page.data[1]!.id });
    expect(next.data.map((b) => b.id)).not.toContain(page.data[0]!.id);
    expect(next.data.map((b) => b.id)).not.toContain(page.data[1]!.id);
  });

  it('answers 400 for a bad endpoint, 404 for an unknown file and for another user’s file', async () => {
    const file = await upload(client, [chatLine('a', {})]);
    const err = (p: Promise<unknown>) =>
      p.then(
        () => null,
        (e: unknown) => e as APIError,
      );
    const badEndpoint = await err(
      client.batches.create({ input_file_id: file.id, endpoint: '/v1/moderations', completion_window: '24h' }),
    );
    expect({ status: badEndpoint?.status, param: badEndpoint?.param }).toEqual({ status: 400, param: 'endpoint' });
    const unknown = await err(
      client.batches.create({ input_file_id: 'file-nope', endpoint: '/v1/chat/completions', completion_window: '24h' }),
    );
    expect(unknown?.status).toBe(404);
    const otherToken = await registerUser(platform!.gateway.url, 'batch-other', 'Other-user-Passw0rd!');
    const other = new OpenAI({ baseURL: `${platform!.gateway.url}/v1`, apiKey: otherToken, maxRetries: 0 });
    const foreign = await err(
      other.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' }),
    );
    expect(foreign?.status).toBe(404);
    const notMine = await err(other.batches.retrieve((await client.batches.list({ limit: 1 })).data[0]!.id));
    expect(notMine?.status).toBe(404);
  });

  it('refuses to create a batch with a key that may run models but not read and write files', async () => {
    const file = await upload(client, [chatLine('a', {})]);
    const narrow = await createApiKey(platform!.gateway.url, platform!.adminToken, {
      name: 'requests-only',
      permissions: 'restricted',
      scopes: ['model.request'],
    });
    const limited = new OpenAI({ baseURL: `${platform!.gateway.url}/v1`, apiKey: narrow, maxRetries: 0 });
    const denied = await limited.batches
      .create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' })
      .then(
        () => null,
        (e: unknown) => e as APIError,
      );
    expect(denied?.status).toBe(403);
    expect(denied?.message).toContain('files.read');
  });
});
