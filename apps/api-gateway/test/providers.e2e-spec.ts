/**
 * Remote providers and routing, end to end. The upstream is a second instance of this platform (its gateway and
 * inference worker as processes, an OpenAI-compatible server), reached through a recording proxy on loopback
 * that the tests read and can make fail (503, 429 with Retry-After, hang). The platform under test routes a
 * direct remote model and an `auto` route across a flaky remote, the working remote and its local stories260K;
 * the official `openai` package is the client. Covered: streaming and whole responses through the upstream, usage
 * from its reply, fallback before the first token, retries honouring Retry-After, the circuit breaker,
 * confidential requests never reaching the upstream, PII redacted before it (and reported in the dry run), the
 * upstream key never reaching the client; the response cache (hit, miss, per-user scope, TTL, never for
 * confidential or random requests) with the upstream's log showing what it spared, the operator's /v1/status,
 * and cost: priced answers, cost summed in /v1/usage, a monthly budget refusing the next request.
 *
 * Needs a build first (`npm run build && npx jest apps/api-gateway/test/providers.e2e-spec.ts`).
 */
import OpenAI from 'openai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { REPO_ROOT, RunningPlatform, login, registerUser, startPlatform } from '@llmp/testing';

jest.setTimeout(240_000);

const MODEL = 'stories260k';
const CACHE_TTL_S = 3;

interface Seen {
  path: string;
  authorization: string | undefined;
  body: { model: string; stream?: boolean; messages: { role: string; content: string }[] };
}

/** A loopback proxy in front of the upstream: records each request, and fails on demand. */
class RecordingProxy {
  readonly seen: Seen[] = [];
  /** Answers for the next requests, in order, before forwarding resumes: a status (with Retry-After 0) or hang. */
  readonly faults: (number | 'hang' | { sse: string[] })[] = [];
  private server!: Server;
  private readonly hanging: ServerResponse[] = [];
  /** Responses whose caller (the gateway) went away before they ended. */
  closedEarly = 0;

  constructor(private readonly upstream: () => string) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString();
    this.seen.push({
      path: req.url ?? '',
      authorization: req.headers.authorization,
      body: JSON.parse(raw) as Seen['body'],
    });
    res.on('close', () => {
      if (!res.writableEnded) this.closedEarly++;
    });
    const fault = this.faults.shift();
    if (fault === 'hang') {
      this.hanging.push(res);
      return;
    }
    if (typeof fault === 'object') {
      // A canned answer in the upstream's protocol, one SSE event per write.
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const data of fault.sse) {
        res.write(`data: ${data}\n\n`);
        await new Promise((r) => setTimeout(r, 5));
      }
      res.end('data: [DONE]\n\n');
      return;
    }
    if (fault) {
      res.writeHead(fault, { 'content-type': 'application/json', 'retry-after': '0' });
      res.end(JSON.stringify({ error: { message: `injected ${fault}`, type: 'server_error' } }));
      return;
    }
    const upstream = await fetch(`${this.upstream()}${req.url!.replace(/^\/v1/, '/v1')}`, {
      method: req.method,
      headers: { 'content-type': 'application/json', authorization: req.headers.authorization ?? '' },
      body: raw,
    });
    res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
    for await (const chunk of upstream.body!) res.write(chunk);
    res.end();
  }
}

describe('remote providers and routing (two platforms as processes, a recording proxy between them)', () => {
  let upstream: RunningPlatform;
  let platform: RunningPlatform;
  let client: OpenAI;
  let dir: string;
  const good = new RecordingProxy(() => upstream.gateway.url);
  const flaky = new RecordingProxy(() => upstream.gateway.url);

  beforeAll(async () => {
    upstream = await startPlatform({ env: { LOG_LEVEL: 'warn' }, workerModels: MODEL });
    const goodUrl = await good.start();
    const flakyUrl = await flaky.start();
    dir = mkdtempSync(join(tmpdir(), 'llmp-providers-'));
    const base = readFileSync(resolve(REPO_ROOT, 'infra/config/models.yaml'), 'utf8');
    const remote = (id: string, url: string, extra: string) =>
      [
        `  - id: ${id}`,
        '    kind: remote',
        '    provider: openai-compatible',
        '    upstream_model: stories260k',
        '    endpoints:',
        `      - base_url: ${url}`,
        '        api_key_env: UPSTREAM_API_KEY',
        '    first_token_timeout_ms: 3000',
        '    pricing: { input: 0.5, output: 1.5 }',
        extra,
      ].join('\n');
    const config = base.replace(
      /^models:\n/m,
      'models:\n' +
        remote('upstream-stories', goodUrl, '    max_sensitivity: internal\n    max_retries: 1') +
        '\n' +
        remote('flaky-stories', flakyUrl, '    max_retries: 0') +
        '\n' +
        // The upstream's inbound Messages API as an Anthropic provider (the SDK adds /v1/messages).
        remote('claude-stories', upstream.gateway.url, '    max_retries: 0').replace(
          'provider: openai-compatible',
          'provider: anthropic',
        ) +
        '\n',
    );
    const routes = [
      'routes:',
      '  - id: auto',
      '    targets:',
      '      - { model: flaky-stories }',
      '      - { model: upstream-stories }',
      `      - { model: ${MODEL} }`,
      '',
    ].join('\n');
    writeFileSync(join(dir, 'models.yaml'), `${config}\n${routes}`);
    platform = await startPlatform({
      env: { LOG_LEVEL: 'warn', MODELS_CONFIG: join(dir, 'models.yaml') },
      workerModels: MODEL,
      gatewayEnv: {
        UPSTREAM_API_KEY: upstream.apiKey,
        CIRCUIT_FAILURES: '3',
        CIRCUIT_COOLDOWN_MS: '60000',
        RESPONSE_CACHE_TTL_S: String(CACHE_TTL_S),
        PII_REDACT_OUTPUT: 'true',
      },
    });
    client = new OpenAI({ baseURL: `${platform.gateway.url}/v1`, apiKey: platform.apiKey, maxRetries: 0 });
  });

  afterAll(async () => {
    await platform?.stop();
    await upstream?.stop();
    await good.stop();
    await flaky.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    good.seen.length = 0;
    flaky.seen.length = 0;
  });

  const ask = (body: Record<string, unknown>) =>
    client.chat.completions
      .create({
        model: 'upstream-stories',
        max_tokens: 12,
        messages: [{ role: 'user', content: 'Once upon' }],
        ...body,
      } as never)
      .withResponse() as unknown as Promise<{ data: OpenAI.ChatCompletion; response: Response }>;

  it('serves a remote model through the upstream: its usage, our key never shown, the route in a header', async () => {
    const { data, response } = await ask({ temperature: 0 });
    expect(data.choices[0]!.message.content!.length).toBeGreaterThan(0);
    expect(data.usage!.completion_tokens).toBeGreaterThan(0);
    expect(data.usage!.prompt_tokens).toBeGreaterThan(0);
    expect(response.headers.get('x-llmp-route')).toBe('model=upstream-stories; sensitivity=public');
    expect(good.seen).toHaveLength(1);
    expect(good.seen[0]!.body).toMatchObject({ model: 'stories260k', stream: true, max_tokens: 12 });
    expect(good.seen[0]!.authorization).toBe(`Bearer ${upstream.apiKey}`);
    expect(JSON.stringify(data)).not.toContain(upstream.apiKey);
  });

  it('streams a remote model chunk by chunk, ending with finish_reason and usage', async () => {
    const stream = await client.chat.completions.create({
      model: 'upstream-stories',
      // Long enough to stream past the 64 characters that output redaction (on in this suite) holds back.
      max_tokens: 80,
      messages: [{ role: 'user', content: 'Once upon' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const c of stream) chunks.push(c);
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(text.length).toBeGreaterThan(0);
    expect(chunks.filter((c) => c.choices[0]?.delta.content).length).toBeGreaterThan(1);
    expect(chunks.some((c) => c.choices[0]?.finish_reason)).toBe(true);
    expect(chunks.at(-1)!.usage!.completion_tokens).toBeGreaterThan(0);
  });

  it('falls back to the next target when one fails before its first token, and says so', async () => {
    flaky.faults.push(503);
    const { data, response } = await ask({ model: 'auto' });
    expect(data.choices[0]!.message.content!.length).toBeGreaterThan(0);
    expect(flaky.seen).toHaveLength(1);
    expect(good.seen).toHaveLength(1);
    expect(response.headers.get('x-llmp-route')).toBe(
      'route=auto; model=upstream-stories; sensitivity=public; fallback=flaky-stories',
    );
  });

  it('retries a 429 honouring Retry-After, then falls back on a hang once the first-token timeout passes', async () => {
    good.faults.push(429);
    const { data } = await ask({});
    expect(data.choices[0]!.message.content!.length).toBeGreaterThan(0);
    expect(good.seen).toHaveLength(2); // the 429, then the retry (max_retries 1)

    flaky.faults.push('hang');
    const t0 = Date.now();
    const { response } = await ask({ model: 'auto' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2900);
    expect(response.headers.get('x-llmp-route')).toContain('fallback=flaky-stories');
  });

  it('confidential requests never leave the local models, and a remote model cannot take one', async () => {
    const { data, response } = await ask({ model: 'auto', sensitivity: 'confidential' });
    expect(data.choices[0]!.message.content).toBeDefined();
    expect(response.headers.get('x-llmp-route')).toBe(`route=auto; model=${MODEL}; sensitivity=confidential`);
    expect([...good.seen, ...flaky.seen]).toEqual([]);
    await expect(ask({ sensitivity: 'confidential' })).rejects.toMatchObject({ status: 400, param: 'sensitivity' });
    expect(good.seen).toEqual([]);
  });

  it('personal data raises the request to internal and is redacted before a remote model sees it', async () => {
    const content = 'Mail ada@example.com or call +44 20 7946 0958 about card 4111 1111 1111 1111.';
    const dry = await fetch(`${platform.gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${platform.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'auto', dry_run: true, messages: [{ role: 'user', content }] }),
    });
    const plan = (await dry.json()) as { prompt: string; route: Record<string, unknown> };
    // flaky-stories takes public requests only: skipped; upstream-stories takes internal ones, redacted.
    expect(plan.route).toMatchObject({
      route: 'auto',
      served_by: 'upstream-stories',
      sensitivity: 'internal',
      sensitivity_source: 'pii',
      pii_found: { email: 1, phone: 1, payment_card: 1 },
      pii_redacted: { email: 1, phone: 1, payment_card: 1 },
      skipped: [{ model: 'flaky-stories', reason: expect.stringContaining('max_sensitivity public') }],
    });
    expect(plan.prompt).toContain('Mail [EMAIL] or call [PHONE] about card [PAYMENT_CARD].');
    expect(plan.prompt).not.toContain('ada@example.com');

    await ask({ model: 'auto', messages: [{ role: 'user', content }] });
    expect(flaky.seen).toEqual([]);
    expect(good.seen).toHaveLength(1);
    const sent = JSON.stringify(good.seen[0]!.body);
    expect(sent).toContain('[EMAIL]');
    for (const secret of ['ada@example.com', '7946 0958', '4111']) expect(sent).not.toContain(secret);
  });

  it('a client that disconnects cancels the upstream request', async () => {
    good.faults.push('hang');
    const before = good.closedEarly;
    const abort = new AbortController();
    const pending = fetch(`${platform.gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${platform.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'upstream-stories', stream: true, messages: [{ role: 'user', content: 'x' }] }),
      signal: abort.signal,
    }).catch((err: Error) => err);
    for (let i = 0; i < 50 && good.seen.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(good.seen).toHaveLength(1);
    abort.abort();
    await pending;
    for (let i = 0; i < 50 && good.closedEarly === before; i++) await new Promise((r) => setTimeout(r, 20));
    expect(good.closedEarly).toBe(before + 1);
  });

  it('redacts personal data in answers (PII_REDACT_OUTPUT), also when a finding is split across chunks', async () => {
    const chunk = (content: string | null, finish: string | null = null) =>
      JSON.stringify({
        id: 'c',
        object: 'chat.completion.chunk',
        created: 1,
        model: 'stories260k',
        choices: [{ index: 0, delta: content === null ? {} : { content }, finish_reason: finish }],
      });
    const canned = () => ({
      sse: [
        chunk(''),
        chunk('Dear friend, write to ada@exa'),
        chunk('mple.com or call +44 20 79'),
        chunk('46 0958 before the dragon wakes.'),
        chunk(null, 'stop'),
        JSON.stringify({
          id: 'c',
          object: 'chat.completion.chunk',
          created: 1,
          model: 'stories260k',
          choices: [],
          usage: { prompt_tokens: 3, completion_tokens: 20, total_tokens: 23 },
        }),
      ],
    });
    const expected = 'Dear friend, write to [EMAIL] or call [PHONE] before the dragon wakes.';
    good.faults.push(canned());
    const { data } = await ask({});
    expect(data.choices[0]!.message.content).toBe(expected);
    good.faults.push(canned());
    const stream = await client.chat.completions.create({
      model: 'upstream-stories',
      max_tokens: 12,
      messages: [{ role: 'user', content: 'Once upon' }],
      stream: true,
    });
    const deltas: string[] = [];
    for await (const c of stream) deltas.push(c.choices[0]?.delta.content ?? '');
    expect(deltas.join('')).toBe(expected);
    for (const d of deltas) expect(d).not.toMatch(/ada@|7946|0958/);
  });

  it('opens the circuit after repeated failures: the upstream is skipped without being called', async () => {
    // Earlier tests left failures of flaky-stories in a row; a few more open its circuit (CIRCUIT_FAILURES 3).
    flaky.faults.push(503, 503, 503);
    for (let i = 0; i < 3; i++) await ask({ model: 'auto' });
    const calls = flaky.seen.length;
    expect(calls).toBeGreaterThan(0);
    const { response } = await ask({ model: 'auto' });
    expect(flaky.seen).toHaveLength(calls); // not called: its circuit is open
    expect(response.headers.get('x-llmp-route')).toContain(
      'model=upstream-stories; sensitivity=public; fallback=flaky-stories',
    );
    const dry = await fetch(`${platform.gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${platform.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'auto', dry_run: true, messages: [{ role: 'user', content: 'x' }] }),
    });
    const plan = (await dry.json()) as { route: { failed: { model: string; reason: string }[] } };
    expect(plan.route.failed).toEqual([{ model: 'flaky-stories', reason: expect.stringContaining('circuit open') }]);
    flaky.faults.length = 0;
  });

  it('lists routes and remote models in /v1/models, and refuses local-only features on remote models', async () => {
    const ids = (await client.models.list()).data.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(['auto', 'upstream-stories', 'flaky-stories', MODEL]));
    await expect(ask({ logprobs: true })).rejects.toMatchObject({ status: 400 });
    // On the route the local target takes it.
    const { response } = await ask({ model: 'auto', logprobs: true });
    expect(response.headers.get('x-llmp-route')).toContain(`model=${MODEL}`);
  });

  describe("an Anthropic upstream (the upstream platform's /v1/messages)", () => {
    it('answers whole and streamed through the Messages API, with its usage', async () => {
      const { data, response } = await ask({ model: 'claude-stories' });
      expect(data.choices[0]!.message.content!.length).toBeGreaterThan(0);
      expect(data.usage!.prompt_tokens).toBeGreaterThan(0);
      expect(data.usage!.completion_tokens).toBeGreaterThan(0);
      expect(response.headers.get('x-llmp-route')).toBe('model=claude-stories; sensitivity=public');
      const stream = await client.chat.completions.create({
        model: 'claude-stories',
        max_tokens: 12,
        messages: [{ role: 'user', content: 'Once upon' }],
        stream: true,
      });
      let text = '';
      let finish: string | null = null;
      for await (const c of stream) {
        text += c.choices[0]?.delta.content ?? '';
        finish = c.choices[0]?.finish_reason ?? finish;
      }
      expect(text.length).toBeGreaterThan(0);
      expect(['stop', 'length']).toContain(finish);
    });

    it('translates a forced tool call both ways: tool_use blocks come back as tool_calls', async () => {
      const tools: OpenAI.ChatCompletionTool[] = [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            parameters: { type: 'object', properties: { city: { type: 'string', maxLength: 12 } }, required: ['city'] },
          },
        },
      ];
      const { data } = await ask({ model: 'claude-stories', tools, tool_choice: 'required', max_tokens: 80 });
      const choice = data.choices[0]!;
      expect(choice.finish_reason).toBe('tool_calls');
      const call = choice.message.tool_calls![0]!;
      if (call.type !== 'function') throw new Error('not a function call');
      expect(call.function.name).toBe('get_weather');
      expect(typeof (JSON.parse(call.function.arguments) as { city: string }).city).toBe('string');
      // The tool result goes back as a tool_result block, and the model answers.
      const { data: next } = await ask({
        model: 'claude-stories',
        tools,
        messages: [
          { role: 'user', content: 'Weather?' },
          { role: 'assistant', content: null, tool_calls: [call] },
          { role: 'tool', tool_call_id: call.id, content: '{"t": 3}' },
        ],
      });
      expect(next.choices[0]!.message).toBeDefined();
    });
  });

  describe('cost and budgets', () => {
    const PASSWORD = 'Str0ng-enough-pass';
    const price = (u: { prompt_tokens: number; completion_tokens: number }) =>
      (u.prompt_tokens * 0.5 + u.completion_tokens * 1.5) / 1_000_000;

    it('prices each answer, sums the cost in /v1/usage, and refuses a user past their monthly budget', async () => {
      const username = `budget${Date.now().toString(36)}`;
      const token = await registerUser(platform.gateway.url, username, PASSWORD);
      const user = new OpenAI({ baseURL: `${platform.gateway.url}/v1`, apiKey: token, maxRetries: 0 });
      const body = {
        model: 'upstream-stories',
        max_tokens: 12,
        messages: [{ role: 'user' as const, content: 'Once' }],
      };
      const first = (await user.chat.completions.create(body)) as OpenAI.ChatCompletion & { cost: number };
      expect(first.cost).toBeCloseTo(price(first.usage!), 12);
      // A local model without a price has no cost.
      const local = (await user.chat.completions.create({ ...body, model: MODEL })) as { cost?: number };
      expect(local.cost).toBeUndefined();

      type Row = { group: string; requests: number; cost: number };
      let row: Row | undefined;
      for (let i = 0; i < 50 && row?.requests !== 1; i++) {
        const res = await fetch(`${platform.gateway.url}/v1/usage?group_by=model`, {
          headers: { authorization: `Bearer ${token}` },
        });
        row = ((await res.json()) as { data: Row[] }).data.find((r) => r.group === 'upstream-stories');
        if (row?.requests !== 1) await new Promise((r) => setTimeout(r, 100));
      }
      expect(row!.cost).toBeCloseTo(first.cost, 9);

      // A budget below what was spent: the next generation is refused, whatever the model.
      const me = (await (
        await fetch(`${platform.gateway.url}/v1/auth/me`, { headers: { authorization: `Bearer ${token}` } })
      ).json()) as { id: string };
      const patched = await fetch(`${platform.gateway.url}/v1/admin/users/${me.id}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${platform.adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ monthly_budget: first.cost / 2 }),
      });
      expect(((await patched.json()) as { monthly_budget: number }).monthly_budget).toBeCloseTo(first.cost / 2, 12);
      const fresh = new OpenAI({
        baseURL: `${platform.gateway.url}/v1`,
        apiKey: await login(platform.gateway.url, username, PASSWORD),
        maxRetries: 0,
      });
      await expect(fresh.chat.completions.create({ ...body, model: MODEL })).rejects.toMatchObject({
        status: 429,
        code: 'budget_exceeded',
        type: 'insufficient_quota',
      });
    });
  });

  describe('response cache', () => {
    const post = (body: object, bearer = platform.apiKey) =>
      fetch(`${platform.gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'upstream-stories', max_tokens: 12, ...body }),
      });
    const question = (text: string) => ({ messages: [{ role: 'user', content: text }], temperature: 0 });

    it('answers a repeated deterministic request from the cache, whole and streamed, without the upstream', async () => {
      const first = await post(question('The dragon'));
      const firstBody = (await first.json()) as { cached?: boolean; choices: { message: { content: string } }[] };
      expect(first.headers.get('x-cache')).toBe('miss');
      expect(firstBody.cached).toBeUndefined();
      const again = await post(question('The dragon'));
      const body = (await again.json()) as typeof firstBody;
      expect(again.headers.get('x-cache')).toBe('hit');
      expect(body.cached).toBe(true);
      expect(body.choices[0]!.message.content).toBe(firstBody.choices[0]!.message.content);
      expect(good.seen).toHaveLength(1); // the upstream answered once

      const stream = await client.chat.completions
        .create({ model: 'upstream-stories', max_tokens: 12, stream: true, ...question('The dragon') } as never)
        .withResponse();
      expect(stream.response.headers.get('x-cache')).toBe('hit');
      let text = '';
      for await (const chunk of stream.data as unknown as AsyncIterable<OpenAI.ChatCompletionChunk>) {
        text += chunk.choices[0]?.delta.content ?? '';
      }
      expect(text).toBe(firstBody.choices[0]!.message.content);
      expect(good.seen).toHaveLength(1);
    });

    it('caches /v1/completions, /v1/messages and unstored /v1/responses the same way', async () => {
      const call = (path: string, body: object) =>
        fetch(`${platform.gateway.url}${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${platform.apiKey}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      const completion = { model: MODEL, prompt: 'The castle', max_tokens: 8, temperature: 0 };
      const first = await call('/v1/completions', completion);
      const text = ((await first.json()) as { choices: { text: string }[] }).choices[0]!.text;
      expect(first.headers.get('x-cache')).toBe('miss');
      const again = await call('/v1/completions', completion);
      expect(again.headers.get('x-cache')).toBe('hit');
      expect(((await again.json()) as { choices: { text: string }[] }).choices[0]!.text).toBe(text);

      const response = { model: MODEL, max_output_tokens: 8, temperature: 0, input: 'The tower', store: false };
      expect((await call('/v1/responses', response)).headers.get('x-cache')).toBe('miss');
      const cachedResponse = await call('/v1/responses', response);
      expect(cachedResponse.headers.get('x-cache')).toBe('hit');
      expect((await cachedResponse.json()) as object).toMatchObject({ object: 'response', cached: true });
      // A stored response is state: never answered from the cache.
      expect((await call('/v1/responses', { ...response, store: true })).headers.get('x-cache')).toBeNull();

      const message = {
        model: MODEL,
        max_tokens: 8,
        temperature: 0,
        messages: [{ role: 'user', content: 'The moat' }],
      };
      expect((await call('/v1/messages', message)).headers.get('x-cache')).toBe('miss');
      const hit = await call('/v1/messages', message);
      expect(hit.headers.get('x-cache')).toBe('hit');
      expect(((await hit.json()) as { type: string }).type).toBe('message');
    });

    it('keeps users apart, expires entries after the TTL, and never caches confidential or random requests', async () => {
      await post(question('The knight'));
      const other = await registerUser(platform.gateway.url, `cache${Date.now().toString(36)}`, 'Str0ng-enough-pass');
      expect((await post(question('The knight'), other)).headers.get('x-cache')).toBe('miss');
      expect((await post(question('The knight'))).headers.get('x-cache')).toBe('hit');
      await new Promise((r) => setTimeout(r, CACHE_TTL_S * 1000 + 300));
      expect((await post(question('The knight'))).headers.get('x-cache')).toBe('miss');

      const secret = await post({ ...question('The vault'), model: MODEL, sensitivity: 'confidential' });
      expect(secret.status).toBe(200);
      expect(secret.headers.get('x-cache')).toBeNull();
      const random = await post({ messages: [{ role: 'user', content: 'The vault' }], temperature: 1 });
      expect(random.headers.get('x-cache')).toBeNull();
      const seeded = await post({ messages: [{ role: 'user', content: 'The vault' }], temperature: 1, seed: 7 });
      expect(seeded.headers.get('x-cache')).toBe('miss');
    });

    it('GET /v1/status shows the cache, the local queues with their workers, and the routes (admins only)', async () => {
      const res = await fetch(`${platform.gateway.url}/v1/status`, {
        headers: { authorization: `Bearer ${platform.adminToken}` },
      });
      expect(res.status).toBe(200);
      const status = (await res.json()) as {
        cache: { enabled: boolean; hits: number; misses: number; ratio: number; entries: number };
        models: { id: string; workers?: number; queue?: { waiting: number } }[];
        routes: { id: string; targets: string[] }[];
      };
      expect(status.cache).toMatchObject({ enabled: true });
      expect(status.cache.hits).toBeGreaterThanOrEqual(3);
      expect(status.cache.misses).toBeGreaterThanOrEqual(4);
      expect(status.cache.ratio).toBeCloseTo(status.cache.hits / (status.cache.hits + status.cache.misses));
      expect(status.cache.entries).toBeGreaterThanOrEqual(1);
      const local = status.models.find((m) => m.id === MODEL)!;
      expect(local.workers).toBe(1);
      expect(local.queue).toMatchObject({ waiting: 0 });
      expect(status.routes).toEqual([{ id: 'auto', targets: ['flaky-stories', 'upstream-stories', MODEL] }]);
      const user = await registerUser(platform.gateway.url, `st${Date.now().toString(36)}`, 'Str0ng-enough-pass');
      expect(
        (await fetch(`${platform.gateway.url}/v1/status`, { headers: { authorization: `Bearer ${user}` } })).status,
      ).toBe(403);
    });
  });
});
