/**
 * The OpenAI-compatible API end to end: a real inference-worker (both models of infra/config/models.yaml) and a
 * real api-gateway, started as processes from dist/ against this machine's Redis, called with the official
 * `openai` SDK (raw fetch where the case is about bytes on the wire).
 *
 * Needs a build first: `npm test` runs `node infra/scripts/build.mjs` before jest; when running this file alone,
 * build it yourself (`node infra/scripts/build.mjs && npx jest apps/api-gateway/test --runInBand`).
 */
import { APIError, APIUserAbortError, OpenAI } from 'openai';
import type { ChatCompletionChunk, ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import type { Completion } from 'openai/resources/completions';
import { RunningApp, RunningPlatform, metricValue, startPlatform } from '@llmp/testing';

const CHAT_MODEL = 'stories260k';
const TEXT_ONLY_MODEL = 'tinystories-656k';
const BODY_LIMIT_BYTES = 64 * 1024;
const PROMPT = 'Once upon a time';

interface ExpectedError {
  status: number;
  code: string;
  param: string | null;
  type: string;
}

/** Reads one sample of a Prometheus text exposition; undefined when the series does not exist yet. */
async function expectApiError(call: Promise<unknown>, expected: ExpectedError): Promise<APIError> {
  let caught: unknown;
  try {
    await call;
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(APIError);
  const err = caught as APIError;
  expect({ status: err.status, code: err.code, param: err.param, type: err.type }).toEqual(expected);
  return err;
}

/** A 6-character piece of `text` whose first occurrence is in its middle, and the text before it. */
function pickStop(text: string): { stop: string; before: string } {
  const mid = Math.floor(text.length / 2);
  for (let d = 0; d < text.length; d++) {
    for (const i of [mid - d, mid + d]) {
      const stop = text.slice(i, i + 6);
      if (i < 5 || stop.length < 6 || !stop.trim() || text.indexOf(stop) !== i) continue;
      return { stop, before: text.slice(0, i) };
    }
  }
  throw new Error(`no usable stop string in ${JSON.stringify(text)}`);
}

describe('OpenAI-compatible API (gateway + inference worker as processes)', () => {
  let platform: RunningPlatform | undefined;
  let worker: RunningApp;
  let gateway: RunningApp;
  let client: OpenAI;
  /** Headers of a raw JSON request with this run's API key. */
  let jsonHeaders: Record<string, string>;

  beforeAll(async () => {
    // Auth (on a throw-away database), one worker with both models, one gateway; an admin API key is minted.
    // startPlatform stops whatever it started when a later start fails, so a failed start leaves no process.
    platform = await startPlatform({
      env: { LOG_LEVEL: 'warn' },
      gatewayEnv: { BODY_LIMIT_BYTES: String(BODY_LIMIT_BYTES) },
    });
    worker = platform.worker!;
    gateway = platform.gateway;
    client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: platform.apiKey, maxRetries: 0, timeout: 30_000 });
    jsonHeaders = { 'content-type': 'application/json', authorization: `Bearer ${platform.apiKey}` };
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
  });

  /** Fails a test with the apps' logs when a process died under it. */
  afterEach(() => {
    for (const app of platform ? [worker, gateway] : []) {
      if (app.proc.exitCode !== null) throw new Error(`${app.name} exited (${app.proc.exitCode}):\n${app.output()}`);
    }
  });

  async function greedyChat(maxTokens: number, extra: Partial<ChatCompletionCreateParamsNonStreaming> = {}) {
    return client.chat.completions.create({
      model: CHAT_MODEL,
      messages: [{ role: 'user', content: PROMPT }],
      max_tokens: maxTokens,
      temperature: 0,
      ...extra,
    });
  }

  async function workerMetrics(): Promise<string> {
    return (await fetch(`${worker.url}/metrics`)).text();
  }

  describe('models', () => {
    it('lists the configured models, the embedding models included', async () => {
      const ids: string[] = [];
      const capabilities: Record<string, unknown> = {};
      for await (const model of client.models.list()) {
        expect(model.object).toBe('model');
        expect(typeof model.created).toBe('number');
        expect(model.owned_by).toBe('llm-platform');
        ids.push(model.id);
        capabilities[model.id] = (model as unknown as { capabilities: string[] }).capabilities;
      }
      expect(ids.sort()).toEqual(['glove-sif-100d', 'potion-base-2m', CHAT_MODEL, TEXT_ONLY_MODEL]);
      // The capabilities extension, from the models config.
      expect(capabilities['potion-base-2m']).toEqual(['embeddings']);
      expect(capabilities[CHAT_MODEL]).toEqual(expect.arrayContaining(['chat']));
      expect(capabilities[TEXT_ONLY_MODEL]).toEqual(['completion']);
    });

    it('retrieves one model', async () => {
      const model = await client.models.retrieve(TEXT_ONLY_MODEL);
      expect(model).toMatchObject({ id: TEXT_ONLY_MODEL, object: 'model', owned_by: 'llm-platform' });
    });

    it('answers 404 model_not_found for an unknown model', async () => {
      await expectApiError(client.models.retrieve('no-such-model'), {
        status: 404,
        code: 'model_not_found',
        param: 'model',
        type: 'invalid_request_error',
      });
    });
  });

  describe('chat completions', () => {
    it('completes a chat with usage that adds up', async () => {
      const res = await client.chat.completions.create({
        model: CHAT_MODEL,
        messages: [
          { role: 'developer', content: 'Tell a story.' },
          { role: 'user', content: PROMPT },
        ],
        max_tokens: 24,
      });
      expect(res.object).toBe('chat.completion');
      expect(res.model).toBe(CHAT_MODEL);
      expect(res.id).toMatch(/^chatcmpl-/);
      expect(res.choices).toHaveLength(1);
      const choice = res.choices[0]!;
      expect(choice.message.role).toBe('assistant');
      expect(choice.message.content?.length).toBeGreaterThan(0);
      const usage = res.usage!;
      expect(usage.prompt_tokens).toBeGreaterThan(0);
      expect(usage.completion_tokens).toBeGreaterThan(0);
      expect(usage.completion_tokens).toBeLessThanOrEqual(24);
      expect(usage.total_tokens).toBe(usage.prompt_tokens + usage.completion_tokens);
    });

    it("stops at max_tokens with finish_reason 'length'", async () => {
      const res = await greedyChat(8);
      expect(res.choices[0]!.finish_reason).toBe('length');
      expect(res.usage!.completion_tokens).toBe(8);
      expect(res.choices[0]!.message.content!.length).toBeGreaterThan(0);
    });

    it('honours max_completion_tokens over max_tokens', async () => {
      const res = await greedyChat(30, { max_completion_tokens: 5 });
      expect(res.usage!.completion_tokens).toBe(5);
      expect(res.choices[0]!.finish_reason).toBe('length');
    });

    it('streams chunks that add up to the same text as the non-streaming answer', async () => {
      const whole = await greedyChat(30);
      const stream = await client.chat.completions.create({
        model: CHAT_MODEL,
        messages: [{ role: 'user', content: PROMPT }],
        max_tokens: 30,
        temperature: 0,
        stream: true,
        stream_options: { include_usage: true },
      });
      const chunks: ChatCompletionChunk[] = [];
      for await (const chunk of stream) chunks.push(chunk);

      expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
      expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
      expect(chunks.every((c) => c.object === 'chat.completion.chunk' && c.model === CHAT_MODEL)).toBe(true);
      const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
      expect(text).toBe(whole.choices[0]!.message.content);

      const finishes = chunks.flatMap((c) => c.choices.map((ch) => ch.finish_reason)).filter((f) => f !== null);
      expect(finishes).toEqual(['length']);

      const last = chunks[chunks.length - 1]!;
      expect(last.choices).toEqual([]);
      expect(last.usage).toEqual(whole.usage);
      expect(chunks.slice(0, -1).every((c) => c.usage == null)).toBe(true);
    });

    it('sends no usage chunk unless include_usage is set', async () => {
      const stream = await client.chat.completions.create({
        model: CHAT_MODEL,
        messages: [{ role: 'user', content: PROMPT }],
        max_tokens: 5,
        stream: true,
      });
      const chunks: ChatCompletionChunk[] = [];
      for await (const chunk of stream) chunks.push(chunk);
      expect(chunks.length).toBeGreaterThan(1);
      expect(chunks.every((c) => c.choices.length === 1 && c.usage == null)).toBe(true);
    });

    it('frames the stream as SSE ending with data: [DONE]', async () => {
      const res = await fetch(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: jsonHeaders,
        body: JSON.stringify({
          model: CHAT_MODEL,
          messages: [{ role: 'user', content: PROMPT }],
          max_tokens: 10,
          stream: true,
          stream_options: { include_usage: true },
        }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const body = await res.text();
      expect(body.endsWith('data: [DONE]\n\n')).toBe(true);
      const events = body.split('\n\n').filter(Boolean);
      expect(events.every((e) => e.startsWith('data: '))).toBe(true);
      expect(events.filter((e) => e === 'data: [DONE]')).toHaveLength(1);
      for (const e of events.slice(0, -1)) expect(() => JSON.parse(e.slice('data: '.length))).not.toThrow();
    });

    it('gives the same text for the same seed at temperature 0.9', async () => {
      const ask = () =>
        client.chat.completions.create({
          model: CHAT_MODEL,
          messages: [{ role: 'user', content: PROMPT }],
          max_tokens: 40,
          temperature: 0.9,
          seed: 1234,
        });
      const first = await ask();
      // node-llama-cpp seeds unseeded sampling with the current second: let the clock move on, so a seed that got
      // lost on the way would give a different text.
      await new Promise((r) => setTimeout(r, 1100));
      const second = await ask();
      expect(first.choices[0]!.message.content!.length).toBeGreaterThan(0);
      expect(second.choices[0]!.message.content).toBe(first.choices[0]!.message.content);
    });

    it('cuts the answer before the first occurrence of a stop string', async () => {
      const base = (await greedyChat(40)).choices[0]!.message.content!;
      const { stop, before } = pickStop(base);
      const res = await greedyChat(40, { stop });
      expect(res.choices[0]!.message.content).toBe(before);
      expect(res.choices[0]!.message.content).not.toContain(stop);
      expect(res.choices[0]!.finish_reason).toBe('stop');
    });

    it('never streams any part of a stop string', async () => {
      const base = (await greedyChat(40)).choices[0]!.message.content!;
      const { stop, before } = pickStop(base);
      const stream = await client.chat.completions.create({
        model: CHAT_MODEL,
        messages: [{ role: 'user', content: PROMPT }],
        max_tokens: 40,
        temperature: 0,
        stop: [stop],
        stream: true,
      });
      let text = '';
      const finishes: (string | null)[] = [];
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? '';
        expect(text).not.toContain(stop);
        finishes.push(chunk.choices[0]?.finish_reason ?? null);
      }
      expect(text).toBe(before);
      expect(finishes.filter((f) => f !== null)).toEqual(['stop']);
    });
  });

  describe('text completions', () => {
    const greedy = (extra: { echo?: boolean; stop?: string } = {}) =>
      client.completions.create({ model: CHAT_MODEL, prompt: PROMPT, max_tokens: 20, temperature: 0, ...extra });

    async function streamText(extra: { echo?: boolean } = {}): Promise<{ chunks: Completion[]; text: string }> {
      const stream = await client.completions.create({
        model: CHAT_MODEL,
        prompt: PROMPT,
        max_tokens: 20,
        temperature: 0,
        stream: true,
        stream_options: { include_usage: true },
        ...extra,
      });
      const chunks: Completion[] = [];
      for await (const chunk of stream) chunks.push(chunk);
      return { chunks, text: chunks.map((c) => c.choices[0]?.text ?? '').join('') };
    }

    it('completes a prompt', async () => {
      const res = await greedy();
      expect(res.object).toBe('text_completion');
      expect(res.id).toMatch(/^cmpl-/);
      expect(res.model).toBe(CHAT_MODEL);
      expect(res.choices[0]!.text.length).toBeGreaterThan(0);
      expect(res.choices[0]!.finish_reason).toBe('length');
      const usage = res.usage!;
      expect(usage.completion_tokens).toBe(20);
      expect(usage.prompt_tokens).toBeGreaterThan(0);
      expect(usage.total_tokens).toBe(usage.prompt_tokens + usage.completion_tokens);
    });

    it('streams the same text, one finish_reason, and a usage chunk', async () => {
      const whole = await greedy();
      const { chunks, text } = await streamText();
      expect(text).toBe(whole.choices[0]!.text);
      const finishes = chunks.flatMap((c) => c.choices.map((ch) => ch.finish_reason)).filter((f) => f != null);
      expect(finishes).toEqual(['length']);
      const last = chunks[chunks.length - 1]!;
      expect(last.choices).toEqual([]);
      expect(last.usage).toEqual(whole.usage);
    });

    it('echoes the prompt before the completion', async () => {
      const plain = (await greedy()).choices[0]!.text;
      const echoed = await greedy({ echo: true });
      expect(echoed.choices[0]!.text).toBe(PROMPT + plain);
      const streamed = await streamText({ echo: true });
      expect(streamed.chunks[0]!.choices[0]!.text).toBe(PROMPT);
      expect(streamed.text).toBe(PROMPT + plain);
    });

    // node-llama-cpp 3.22's LlamaCompletion matches stop triggers against tokens detokenized one at a time, losing
    // SentencePiece's leading spaces; the worker applies stop sequences itself (StopSequenceFilter), so this holds.
    it('cuts the completion before a stop string that contains a space', async () => {
      const base = (await greedy()).choices[0]!.text;
      const { stop, before } = pickStop(base);
      expect(stop).toContain(' ');
      const res = await greedy({ stop });
      expect(res.choices[0]!.text).toBe(before);
      expect(res.choices[0]!.finish_reason).toBe('stop');
    });

    it('completes plain text on the completion-only model', async () => {
      const res = await client.completions.create({
        model: TEXT_ONLY_MODEL,
        prompt: `${PROMPT}, there was a cat.\nThe cat`,
        max_tokens: 16,
        temperature: 0,
      });
      expect(res.model).toBe(TEXT_ONLY_MODEL);
      expect(res.choices[0]!.text.trim().length).toBeGreaterThan(0);
      expect(res.usage!.completion_tokens).toBeGreaterThan(0);
      expect(res.usage!.completion_tokens).toBeLessThanOrEqual(16);
    });

    it('is served by the model that was asked for', async () => {
      // Greedy outputs of the two models differ from the first words (see ../shared/models/README.md).
      const [tiny, stories] = await Promise.all(
        [TEXT_ONLY_MODEL, CHAT_MODEL].map((model) =>
          client.completions.create({ model, prompt: PROMPT, max_tokens: 12, temperature: 0 }),
        ),
      );
      expect(tiny!.choices[0]!.text).toMatch(/^, a little girl named Lily/);
      expect(stories!.choices[0]!.text).not.toBe(tiny!.choices[0]!.text);
    });
  });

  describe('errors in OpenAI shape', () => {
    const invalid = (param: string | null): ExpectedError => ({
      status: 400,
      code: 'invalid_request',
      param,
      type: 'invalid_request_error',
    });

    it('400 invalid_json for a malformed body', async () => {
      const res = await fetch(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: jsonHeaders,
        body: '{"model": "stories260k", "messages": [',
      });
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: Record<string, unknown> };
      expect(body.error).toMatchObject({ code: 'invalid_json', param: null, type: 'invalid_request_error' });
      expect(body.error.message).toEqual(expect.any(String));
    });

    it('413 payload_too_large for a body over BODY_LIMIT_BYTES', async () => {
      const res = await fetch(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: jsonHeaders,
        body: JSON.stringify({
          model: CHAT_MODEL,
          messages: [{ role: 'user', content: 'a'.repeat(BODY_LIMIT_BYTES + 1024) }],
        }),
      });
      expect(res.status).toBe(413);
      const body = (await res.json()) as { error: Record<string, unknown> };
      expect(body.error).toMatchObject({ code: 'payload_too_large', param: null, type: 'invalid_request_error' });
    });

    it('400 invalid_request naming messages[0].role for an unknown role', async () => {
      const messages = [
        { role: 'wizard', content: 'hi' },
      ] as unknown as ChatCompletionCreateParamsNonStreaming['messages'];
      await expectApiError(
        client.chat.completions.create({ model: CHAT_MODEL, messages }),
        invalid('messages[0].role'),
      );
    });

    it('400 invalid_request naming messages when there are none', async () => {
      await expectApiError(client.chat.completions.create({ model: CHAT_MODEL, messages: [] }), invalid('messages'));
    });

    it('400 invalid_request naming n when n is not 1', async () => {
      await expectApiError(
        client.chat.completions.create({ model: CHAT_MODEL, messages: [{ role: 'user', content: 'hi' }], n: 2 }),
        invalid('n'),
      );
    });

    it('400 invalid_request naming temperature when it is out of range', async () => {
      await expectApiError(
        client.chat.completions.create({
          model: CHAT_MODEL,
          messages: [{ role: 'user', content: 'hi' }],
          temperature: 3,
        }),
        invalid('temperature'),
      );
    });

    it('404 model_not_found for an unknown model on both endpoints', async () => {
      const notFound = { status: 404, code: 'model_not_found', param: 'model', type: 'invalid_request_error' };
      await expectApiError(
        client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'hi' }] }),
        notFound,
      );
      await expectApiError(client.completions.create({ model: 'no-such-model', prompt: 'hi' }), notFound);
    });

    it('400 context_length_exceeded naming messages when the prompt does not fit', async () => {
      const err = await expectApiError(
        client.chat.completions.create({
          model: CHAT_MODEL,
          messages: [{ role: 'user', content: 'hello world '.repeat(400) }],
          max_tokens: 10,
        }),
        { status: 400, code: 'context_length_exceeded', param: 'messages', type: 'invalid_request_error' },
      );
      expect(err.message).toContain('2048');
    });

    it('400 context_length_exceeded naming max_tokens when the completion does not fit', async () => {
      const tooLong = {
        status: 400,
        code: 'context_length_exceeded',
        param: 'max_tokens',
        type: 'invalid_request_error',
      };
      await expectApiError(
        client.chat.completions.create({
          model: CHAT_MODEL,
          messages: [{ role: 'user', content: 'hi' }],
          max_tokens: 5000,
        }),
        tooLong,
      );
      // Streaming too: the prompt is checked before the first byte, so it is a real HTTP error.
      await expectApiError(
        client.chat.completions.create({
          model: CHAT_MODEL,
          messages: [{ role: 'user', content: 'hi' }],
          max_tokens: 5000,
          stream: true,
        }),
        tooLong,
      );
    });

    it('400 unsupported_capability for chat on a completion-only model', async () => {
      await expectApiError(
        client.chat.completions.create({ model: TEXT_ONLY_MODEL, messages: [{ role: 'user', content: 'hi' }] }),
        { status: 400, code: 'unsupported_capability', param: 'model', type: 'invalid_request_error' },
      );
    });

    it('400 unsupported_characters for characters the model cannot tokenize, and the worker survives', async () => {
      const unsupported = (param: string) => ({
        status: 400,
        code: 'unsupported_characters',
        param,
        type: 'invalid_request_error',
      });
      await expectApiError(
        client.completions.create({ model: TEXT_ONLY_MODEL, prompt: 'The cat said {hi}', max_tokens: 5 }),
        unsupported('prompt'),
      );
      await expectApiError(
        client.completions.create({ model: TEXT_ONLY_MODEL, prompt: 'The cat', stop: ['#'], max_tokens: 5 }),
        unsupported('stop'),
      );
      // Tokenizing `{` would have aborted the worker process; it must still serve the model.
      const ok = await client.completions.create({ model: TEXT_ONLY_MODEL, prompt: 'The cat', max_tokens: 5 });
      expect(ok.choices[0]!.text.length).toBeGreaterThan(0);
      expect(worker.proc.exitCode).toBeNull();
    });
  });

  describe('client disconnect', () => {
    it('cancels the generation in the worker within a second and frees the slot', async () => {
      const labels = { model: CHAT_MODEL };
      const cancelledBefore =
        metricValue(await workerMetrics(), 'inference_jobs_total', { ...labels, outcome: 'cancelled' }) ?? 0;

      const abort = new AbortController();
      const stream = await client.chat.completions.create(
        {
          model: CHAT_MODEL,
          messages: [{ role: 'user', content: PROMPT }],
          max_tokens: 1500,
          stream: true,
        },
        { signal: abort.signal },
      );
      let received = 0;
      let busyBeforeAbort: number | undefined;
      let finished = false;
      let abortedAt = 0;
      try {
        for await (const chunk of stream) {
          if (chunk.choices[0]?.finish_reason) finished = true;
          if (chunk.choices[0]?.delta.content) received++;
          if (received === 3 && !abortedAt) {
            // 1500 tokens take seconds here: the job is still generating when the client goes.
            busyBeforeAbort = metricValue(await workerMetrics(), 'inference_busy_slots', labels);
            abortedAt = Date.now();
            abort.abort();
          }
        }
      } catch (err) {
        if (!(err instanceof APIUserAbortError)) throw err;
      }
      expect({ abortedAt: abortedAt > 0, finished, busyBeforeAbort }).toEqual({
        abortedAt: true,
        finished: false,
        busyBeforeAbort: 1,
      });

      let busy: number | undefined;
      let cancelled: number | undefined;
      do {
        const text = await workerMetrics();
        busy = metricValue(text, 'inference_busy_slots', labels);
        cancelled = metricValue(text, 'inference_jobs_total', { ...labels, outcome: 'cancelled' });
        if (busy === 0 && cancelled === cancelledBefore + 1) break;
        await new Promise((r) => setTimeout(r, 25));
      } while (Date.now() - abortedAt < 1000);
      expect({ busy, cancelled }).toEqual({ busy: 0, cancelled: cancelledBefore + 1 });

      const next = await greedyChat(5);
      expect(next.choices[0]!.message.content!.length).toBeGreaterThan(0);
    });
  });
});
