/**
 * logprobs, top_logprobs and logit_bias through the public API: a real inference worker (stories260K) and a real
 * gateway started as processes from dist/, called with the official `openai` SDK.
 *
 * Needs a build first (`npm run build && npx jest apps/api-gateway/test/logprobs.e2e-spec.ts`).
 */
import { APIError, OpenAI } from 'openai';
import type { ChatCompletionTokenLogprob } from 'openai/resources/chat/completions';
import type { Completion } from 'openai/resources/completions';
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { REPO_ROOT, RunningPlatform, startPlatform } from '@llmp/testing';

const MODEL = 'stories260k';
const STORIES_GGUF = resolve(REPO_ROOT, '../shared/models/stories260K.gguf');
const PROMPT = 'Once upon a';

/** The model's token pieces, read from the GGUF file by node-llama-cpp (an ES module, so in a child process). */
function readVocabulary(): string[] {
  const script =
    "import { readGgufFileInfo } from 'node-llama-cpp';" +
    `const info = await readGgufFileInfo(${JSON.stringify(STORIES_GGUF)});` +
    'process.stdout.write(JSON.stringify(info.metadata.tokenizer.ggml.tokens));';
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: REPO_ROOT });
  return JSON.parse(out.toString()) as string[];
}

async function expectApiError(
  call: Promise<unknown>,
  expected: { status: number; type: string; code: string; param: string },
): Promise<APIError> {
  let caught: unknown;
  try {
    await call;
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(APIError);
  const err = caught as APIError;
  expect({ status: err.status, type: err.type, code: err.code, param: err.param }).toEqual(expected);
  return err;
}

/** Each entry: a logprob, and exactly `top` alternatives, most likely first (greedy: the chosen one leads). */
function expectEntries(entries: ChatCompletionTokenLogprob[], top: number) {
  expect(entries.length).toBeGreaterThan(0);
  for (const e of entries) {
    expect(e.logprob).toBeLessThanOrEqual(0);
    expect(e.top_logprobs).toHaveLength(top);
    const alts = e.top_logprobs.map((a) => a.logprob);
    expect([...alts].sort((a, b) => b - a)).toEqual(alts);
    if (top > 0) expect(e.top_logprobs[0]!.token).toBe(e.token);
  }
}

describe('logprobs and logit_bias (gateway + inference worker as processes)', () => {
  let platform: RunningPlatform | undefined;
  let client: OpenAI;
  let pieces: string[];
  /** The id of the token that reads `text` (after a space-ending context: SentencePiece's ▁ is a space). */
  const idOf = (text: string) => pieces.findIndex((p) => p.replace(/\u2581/g, ' ') === text);

  beforeAll(async () => {
    pieces = readVocabulary();
    platform = await startPlatform({ env: { LOG_LEVEL: 'warn' }, workerModels: MODEL });
    client = new OpenAI({
      baseURL: `${platform.gateway.url}/v1`,
      apiKey: platform.apiKey,
      maxRetries: 0,
      timeout: 30_000,
    });
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
  });

  afterEach(() => {
    for (const app of platform ? [platform.worker!, platform.gateway] : []) {
      if (app.proc.exitCode !== null) throw new Error(`${app.name} exited (${app.proc.exitCode}):\n${app.output()}`);
    }
  });

  const chat = (extra: Partial<OpenAI.ChatCompletionCreateParamsNonStreaming> = {}) =>
    client.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'Tell me a story about a dog' }],
      max_tokens: 24,
      temperature: 0,
      ...extra,
    });

  const complete = (extra: Partial<OpenAI.CompletionCreateParamsNonStreaming> = {}) =>
    client.completions.create({ model: MODEL, prompt: PROMPT, max_tokens: 16, temperature: 0, ...extra });

  describe('chat completions', () => {
    it('returns each token with its logprob and top_logprobs, joining to the reply exactly', async () => {
      const res = await chat({ logprobs: true, top_logprobs: 3 });
      const choice = res.choices[0]!;
      expect(choice.logprobs!.refusal).toBeNull();
      const entries = choice.logprobs!.content!;
      expect(entries.map((e) => e.token).join('')).toBe(choice.message.content);
      expect(entries).toHaveLength(res.usage!.completion_tokens);
      expectEntries(entries, 3);
      for (const e of entries) expect(Buffer.from(e.bytes!).toString('utf8')).toBe(e.token);
    });

    it('gives logprobs: null when they are not asked for, and no alternatives with logprobs alone', async () => {
      expect((await chat()).choices[0]!.logprobs).toBeNull();
      const bare = await chat({ logprobs: true });
      expectEntries(bare.choices[0]!.logprobs!.content!, 0);
    });

    it("streams each chunk's entries with it, joining to that chunk's text and to the whole reply", async () => {
      const whole = await chat({ logprobs: true, top_logprobs: 2 });
      const stream = await client.chat.completions.create({
        model: MODEL,
        messages: [{ role: 'user', content: 'Tell me a story about a dog' }],
        max_tokens: 24,
        temperature: 0,
        logprobs: true,
        top_logprobs: 2,
        stream: true,
      });
      let text = '';
      const entries: ChatCompletionTokenLogprob[] = [];
      for await (const chunk of stream) {
        const choice = chunk.choices[0];
        if (!choice || choice.delta.role || choice.finish_reason) continue;
        const content = choice.logprobs!.content!;
        expect(content.map((e) => e.token).join('')).toBe(choice.delta.content);
        text += choice.delta.content;
        entries.push(...content);
      }
      expect(text).toBe(whole.choices[0]!.message.content);
      expect(entries).toEqual(whole.choices[0]!.logprobs!.content);
      expectEntries(entries, 2);
    });

    it('refuses top_logprobs without logprobs: true, and more than 20', async () => {
      const expected = { status: 400, type: 'invalid_request_error', code: 'invalid_request', param: 'top_logprobs' };
      await expectApiError(chat({ top_logprobs: 2 }), expected);
      await expectApiError(chat({ logprobs: true, top_logprobs: 21 }), expected);
    });
  });

  describe('completions', () => {
    it("keeps the leading space of the completion's first token (it follows the prompt)", async () => {
      const res = await complete({ max_tokens: 1 });
      expect(res.choices[0]!.text).toBe(' time');
      const echoed = await complete({ max_tokens: 4, echo: true });
      expect(echoed.choices[0]!.text.startsWith(`${PROMPT} time`)).toBe(true);
    });

    it('returns the legacy logprobs layout: tokens join to the text, offsets rise, alternatives per token', async () => {
      const res = await complete({ logprobs: 3 });
      const { text, logprobs } = res.choices[0]!;
      const { tokens, token_logprobs, top_logprobs, text_offset } = logprobs!;
      expect(tokens!.join('')).toBe(text);
      expect(tokens).toHaveLength(res.usage!.completion_tokens);
      expect(tokens![0]!.startsWith(' ')).toBe(true);
      expect(token_logprobs).toHaveLength(tokens!.length);
      for (const lp of token_logprobs!) expect(lp).toBeLessThanOrEqual(0);
      expect(text_offset![0]).toBe(0);
      tokens!.forEach((token, i) => {
        expect(text.slice(text_offset![i], text_offset![i] + token.length)).toBe(token);
        if (i > 0) expect(text_offset![i]).toBeGreaterThan(text_offset![i - 1]!);
        const top = top_logprobs![i]!;
        expect(top[token]).toBe(token_logprobs![i]);
        expect(Object.keys(top).length).toBeGreaterThanOrEqual(3);
        expect(Object.keys(top).length).toBeLessThanOrEqual(4);
      });
    });

    it('streams the same layout chunk by chunk, the offsets continuing over the stream', async () => {
      const whole = (await complete({ logprobs: 2 })).choices[0]!;
      const stream = await client.completions.create({
        model: MODEL,
        prompt: PROMPT,
        max_tokens: 16,
        temperature: 0,
        logprobs: 2,
        stream: true,
      });
      const chunks: Completion[] = [];
      for await (const chunk of stream) chunks.push(chunk);
      const texts = chunks.filter((c) => c.choices[0]?.finish_reason === null);
      for (const c of texts) expect(c.choices[0]!.logprobs!.tokens!.join('')).toBe(c.choices[0]!.text);
      expect(texts.map((c) => c.choices[0]!.text).join('')).toBe(whole.text);
      expect(texts.flatMap((c) => c.choices[0]!.logprobs!.tokens!)).toEqual(whole.logprobs!.tokens);
      expect(texts.flatMap((c) => c.choices[0]!.logprobs!.text_offset!)).toEqual(whole.logprobs!.text_offset);
      expect(texts.flatMap((c) => c.choices[0]!.logprobs!.token_logprobs!)).toEqual(whole.logprobs!.token_logprobs);
    });

    it('refuses logprobs with echo (prompt tokens cannot be scored here), naming logprobs', async () => {
      const err = await expectApiError(complete({ echo: true, logprobs: 1 }), {
        status: 400,
        type: 'invalid_request_error',
        code: 'unsupported_parameter',
        param: 'logprobs',
      });
      expect(err.message).toContain('echo');
    });
  });

  describe('logit_bias', () => {
    it('-100 on the greedy token makes greedy decoding pick another one', async () => {
      const base = (await complete({ logprobs: 1 })).choices[0]!;
      const first = base.logprobs!.tokens![0]!;
      const id = idOf(first);
      expect(id).toBeGreaterThan(-1);
      const banned = (await complete({ logprobs: 1, logit_bias: { [id]: -100 } })).choices[0]!;
      expect(banned.text).not.toBe(base.text);
      expect(banned.logprobs!.tokens).not.toContain(first);
    });

    it('+100 on a token forces it, on chat and on completions', async () => {
      const base = (await complete()).choices[0]!.text;
      const target = pieces.findIndex(
        (p, i) => i > 258 && p.startsWith('\u2581') && p.length > 3 && !base.includes(p.replace(/\u2581/g, ' ')),
      );
      const word = pieces[target]!.replace(/\u2581/g, ' ');
      const forced = await complete({ max_tokens: 3, logprobs: 0, logit_bias: { [target]: 100 } });
      expect(forced.choices[0]!.logprobs!.tokens).toEqual([word, word, word]);
      const reply = await chat({ max_tokens: 3, logit_bias: { [target]: 100 } });
      expect(reply.choices[0]!.message.content).toContain(word.trim());
    });

    it('refuses a key that is not a token id, and an id outside the vocabulary, naming logit_bias', async () => {
      const expected = { status: 400, type: 'invalid_request_error', code: 'invalid_request', param: 'logit_bias' };
      await expectApiError(chat({ logit_bias: { abc: 5 } }), expected);
      await expectApiError(complete({ logit_bias: { '5': 101 } }), expected);
      // Found by the worker before generation starts: a real 400 even for a stream.
      await expectApiError(complete({ logit_bias: { [pieces.length]: 5 } }), expected);
      await expectApiError(
        client.chat.completions.create({
          model: MODEL,
          messages: [{ role: 'user', content: 'hi' }],
          logit_bias: { [pieces.length + 1000]: -5 },
          stream: true,
        }),
        expected,
      );
    });
  });

  describe('responses', () => {
    it('puts logprobs on the output text and on each output_text.delta event', async () => {
      const params = {
        model: MODEL,
        input: 'Tell me a story about a dog',
        max_output_tokens: 16,
        temperature: 0,
        top_logprobs: 2,
        include: ['message.output_text.logprobs' as const],
        store: false,
      };
      const res = await client.responses.create(params);
      const message = res.output[0]!;
      if (message.type !== 'message') throw new Error(`unexpected output ${message.type}`);
      const part = message.content[0]!;
      if (part.type !== 'output_text') throw new Error(`unexpected part ${part.type}`);
      expect(part.text.length).toBeGreaterThan(0);
      expect(part.logprobs!.map((l) => l.token).join('')).toBe(part.text);
      for (const l of part.logprobs!) {
        expect(l.logprob).toBeLessThanOrEqual(0);
        expect(l.top_logprobs).toHaveLength(2);
      }

      const stream = await client.responses.create({ ...params, stream: true });
      let text = '';
      for await (const ev of stream) {
        if (ev.type !== 'response.output_text.delta') continue;
        expect(ev.logprobs.map((l) => l.token).join('')).toBe(ev.delta);
        text += ev.delta;
      }
      expect(text).toBe(part.text);
    });
  });
});
