/**
 * Anthropic's Messages API inbound, with the official `@anthropic-ai/sdk` against a real gateway and inference worker
 * (stories260K): messages whole and streamed (`messages.stream()`'s finalMessage and the raw typed events), forced
 * tool use whose input validates against the tool's input_schema, a tool_result follow-up turn, stop_sequences,
 * count_tokens against the usage of the same prompt, x-api-key and Bearer, and Anthropic's error shape for a bad
 * key, a missing max_tokens and unsupported fields (read through the SDK's error classes). The model is tiny and
 * writes nonsense, so what is asserted is shape and validity, never what the text says.
 *
 * Needs a build first (`node infra/scripts/build.mjs && npx jest apps/api-gateway/test/messages.e2e-spec.ts`).
 */
import Anthropic, { APIError, AuthenticationError, BadRequestError, NotFoundError } from '@anthropic-ai/sdk';
import type { MessageCreateParamsNonStreaming, Tool, ToolUseBlock } from '@anthropic-ai/sdk/resources/messages';
import type { RunningPlatform } from '@llmp/testing';
import { MODEL, TIME, WEATHER, ajv, usePlatform } from './support/tool-fixtures';

// The fixtures' schemas are `as const` (readonly arrays); the SDK's type wants plain ones.
const inputSchema = (schema: object) => schema as Tool.InputSchema;
const tools: Tool[] = [
  { name: 'get_weather', description: 'Weather forecast', input_schema: inputSchema(WEATHER) },
  { name: 'get_time', description: 'Current time', input_schema: inputSchema(TIME) },
];
const schemaOf: Record<string, object> = { get_weather: WEATHER, get_time: TIME };

const ask = (text: string) => [{ role: 'user' as const, content: text }];

/** The call's input validates against its tool's input_schema. */
function expectValidToolUse(block: ToolUseBlock, names: string[]) {
  expect(names).toContain(block.name);
  expect(block.id).toMatch(/^toolu_/);
  expect(ajv.validate(schemaOf[block.name]!, block.input)).toBe(true);
}

async function caught(call: Promise<unknown>): Promise<APIError> {
  try {
    await call;
  } catch (err) {
    if (err instanceof APIError) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

describe("Anthropic's Messages API (gateway + inference worker as processes, @anthropic-ai/sdk)", () => {
  let platform: RunningPlatform;
  let client: Anthropic;
  const anthropic = (opts: ConstructorParameters<typeof Anthropic>[0]) =>
    new Anthropic({ baseURL: platform.gateway.url, maxRetries: 0, timeout: 60_000, ...opts });
  usePlatform(
    () => ({}),
    (p) => {
      platform = p;
      client = anthropic({ apiKey: p.apiKey });
    },
  );

  it('creates a message: text block, stop reason, usage, msg_ id', async () => {
    // The API takes temperature and top_p; this SDK version's types no longer list them.
    const sampling = { temperature: 0.7, top_p: 0.9 };
    const res = await client.messages.create({
      model: MODEL,
      max_tokens: 24,
      system: [{ type: 'text', text: 'You tell short stories.' }],
      messages: ask('Once upon a time'),
      metadata: { user_id: 'user-42' },
      ...sampling,
    });
    expect(res).toMatchObject({ type: 'message', role: 'assistant', model: MODEL, stop_sequence: null });
    expect(res.id).toMatch(/^msg_/);
    expect(['end_turn', 'max_tokens']).toContain(res.stop_reason);
    expect(res.content).toHaveLength(1);
    expect(res.content[0]!.type).toBe('text');
    expect(res.usage.input_tokens).toBeGreaterThan(0);
    expect(res.usage.output_tokens).toBeGreaterThan(0);
    expect(res.usage.output_tokens).toBeLessThanOrEqual(24);
    expect(res.usage).toMatchObject({ cache_creation_input_tokens: 0, cache_read_input_tokens: 0 });
  });

  it("messages.stream(): text events add up to finalMessage()'s text; usage and stop reason arrive", async () => {
    const stream = client.messages.stream({ model: MODEL, max_tokens: 24, messages: ask('Tell me a story.') });
    let streamed = '';
    stream.on('text', (delta) => (streamed += delta));
    const final = await stream.finalMessage();
    expect(final.id).toMatch(/^msg_/);
    expect(final.content).toHaveLength(1);
    const block = final.content[0]!;
    if (block.type !== 'text') throw new Error(`expected a text block, got ${block.type}`);
    expect(block.text).toBe(streamed);
    expect(['end_turn', 'max_tokens']).toContain(final.stop_reason);
    expect(final.usage.input_tokens).toBeGreaterThan(0);
    expect(final.usage.output_tokens).toBeGreaterThan(0);
  });

  it('streams the typed event sequence, each event with its event: line and no [DONE]', async () => {
    const events: string[] = [];
    const stream = await client.messages.create({
      model: MODEL,
      max_tokens: 16,
      messages: ask('Once upon a time'),
      stream: true,
    });
    for await (const ev of stream) {
      events.push(ev.type === 'content_block_delta' ? `${ev.type}:${ev.delta.type}` : ev.type);
      if (ev.type === 'message_start') expect(ev.message.usage.input_tokens).toBeGreaterThan(0);
    }
    expect(events[0]).toBe('message_start');
    expect(events.slice(-2)).toEqual(['message_delta', 'message_stop']);
    const body = events.slice(1, -2);
    expect(body[0]).toBe('content_block_start');
    expect(body.at(-1)).toBe('content_block_stop');
    expect(body.slice(1, -1).every((e) => e === 'content_block_delta:text_delta')).toBe(true);

    // The framing itself: the SDK skips data lines without an event line, so every event must name itself.
    const res = await fetch(`${platform.gateway.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': platform.apiKey, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: MODEL, max_tokens: 8, messages: ask('Hi'), stream: true }),
    });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const frames = (await res.text()).split('\n\n').filter((f) => f.trim() && !f.startsWith(':'));
    for (const frame of frames) {
      const [eventLine, dataLine] = frame.split('\n');
      const name = /^event: (\w+)$/.exec(eventLine!)?.[1];
      expect(name).toBeDefined();
      expect((JSON.parse(dataLine!.replace(/^data: /, '')) as { type: string }).type).toBe(name);
    }
    expect(frames.some((f) => f.includes('[DONE]'))).toBe(false);
  });

  describe.each([false, true])('tools (stream %s)', (stream) => {
    const create = async (params: MessageCreateParamsNonStreaming) =>
      stream ? client.messages.stream(params).finalMessage() : client.messages.create(params);

    it('tool_choice any: the reply is tool_use blocks whose input validates; stop_reason tool_use', async () => {
      const res = await create({
        model: MODEL,
        max_tokens: 150,
        messages: ask('What is the weather in Paris?'),
        tools,
        tool_choice: { type: 'any', disable_parallel_tool_use: true },
      });
      expect(res.stop_reason).toBe('tool_use');
      const uses = res.content.filter((b): b is ToolUseBlock => b.type === 'tool_use');
      expect(uses).toHaveLength(1);
      expectValidToolUse(uses[0]!, ['get_weather', 'get_time']);
    });

    it('tool_choice tool: that tool is called; its tool_result answers in a follow-up turn', async () => {
      const params = {
        model: MODEL,
        max_tokens: 150,
        messages: ask('What time is it?'),
        tools,
      };
      const res = await create({ ...params, tool_choice: { type: 'tool', name: 'get_time' } });
      expect(res.stop_reason).toBe('tool_use');
      const use = res.content.find((b): b is ToolUseBlock => b.type === 'tool_use')!;
      expectValidToolUse(use, ['get_time']);

      // The reply's content goes back as the assistant turn, as SDK users write it.
      const next = await create({
        ...params,
        messages: [
          ...params.messages,
          { role: 'assistant', content: res.content },
          {
            role: 'user',
            content: [
              { type: 'tool_result', tool_use_id: use.id, content: [{ type: 'text', text: '12:00 UTC' }] },
              { type: 'text', text: 'So what now?' },
            ],
          },
        ],
        tool_choice: { type: 'none' },
      });
      expect(['end_turn', 'max_tokens']).toContain(next.stop_reason);
      expect(next.content.every((b) => b.type === 'text')).toBe(true);
      // The call and its result are in the prompt (with tool_choice none no tools are offered).
      const question = await client.messages.countTokens({ model: MODEL, messages: params.messages });
      expect(next.usage.input_tokens).toBeGreaterThan(question.input_tokens + 5);
    });
  });

  it('a tool_result that answers no tool_use is a 400 invalid_request_error', async () => {
    const err = await caught(
      client.messages.create({
        model: MODEL,
        max_tokens: 8,
        messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_nope', content: 'x' }] }],
      }),
    );
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err.type).toBe('invalid_request_error');
    expect(err.apiMessage).toMatch(/toolu_nope/);
  });

  it('stop_sequences: the text stops before the first one, reported as stop_sequence (whole and streamed)', async () => {
    const stops = ['e', 'a', 'o'];
    const params = { model: MODEL, max_tokens: 60, messages: ask('Once upon a time'), stop_sequences: stops };
    for (const res of [await client.messages.create(params), await client.messages.stream(params).finalMessage()]) {
      expect(res.stop_reason).toBe('stop_sequence');
      expect(stops).toContain(res.stop_sequence);
      const block = res.content[0]!;
      if (block.type !== 'text') throw new Error('expected text');
      for (const s of stops) expect(block.text).not.toContain(s);
    }
  });

  it("count_tokens equals the input_tokens of the same prompt's message (plain and with tools)", async () => {
    const plain = { model: MODEL, system: 'Be brief.', messages: ask('Once upon a time there was a cat') };
    const counted = await client.messages.countTokens(plain);
    expect(counted).toEqual({ input_tokens: expect.any(Number) });
    expect((await client.messages.create({ ...plain, max_tokens: 4 })).usage.input_tokens).toBe(counted.input_tokens);

    const withTools = { ...plain, tools, tool_choice: { type: 'tool' as const, name: 'get_weather' } };
    const toolCount = await client.messages.countTokens(withTools);
    expect(toolCount.input_tokens).toBeGreaterThan(counted.input_tokens);
    const res = await client.messages.create({ ...withTools, max_tokens: 150 });
    expect(res.usage.input_tokens).toBe(toolCount.input_tokens);
  });

  it('takes the key as x-api-key or Bearer, with anthropic-beta headers and ?beta=true', async () => {
    const bearer = anthropic({ authToken: platform.apiKey });
    const res = await bearer.messages.create({ model: MODEL, max_tokens: 4, messages: ask('Hi') });
    expect(res.type).toBe('message');
    // The beta resource adds ?beta=true and an anthropic-beta header.
    const beta = await client.beta.messages.countTokens({
      model: MODEL,
      messages: ask('Hi'),
      betas: ['token-counting-2024-11-01'],
    });
    expect(beta.input_tokens).toBeGreaterThan(0);
  });

  it("a bad key is a 401 authentication_error in Anthropic's shape", async () => {
    const err = await caught(
      anthropic({ apiKey: 'sk-not-a-key' }).messages.create({ model: MODEL, max_tokens: 4, messages: ask('Hi') }),
    );
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(err.status).toBe(401);
    expect(err.type).toBe('authentication_error');
    const res = await fetch(`${platform.gateway.url}/v1/messages/count_tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, messages: ask('Hi') }),
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({
      type: 'error',
      error: { type: 'authentication_error', message: expect.any(String) },
      request_id: expect.any(String),
    });
  });

  it('a missing max_tokens and unsupported fields are 400 invalid_request_error naming them', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ max_tokens: undefined }, /max_tokens/],
      [{ thinking: { type: 'enabled', budget_tokens: 1024 } }, /thinking/],
      [{ top_k: 5 }, /top_k/],
      [
        {
          messages: [
            {
              role: 'user',
              content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } }],
            },
          ],
        },
        /cannot read images/,
      ],
    ];
    for (const [extra, message] of cases) {
      const params = { model: MODEL, max_tokens: 4, messages: ask('Hi'), ...extra };
      const err = await caught(client.messages.create(params as unknown as MessageCreateParamsNonStreaming));
      expect(err).toBeInstanceOf(BadRequestError);
      expect(err.type).toBe('invalid_request_error');
      expect(err.apiMessage).toMatch(message);
    }
  });

  it("an unknown model is a 404 not_found_error; a prompt past the model's context a 400 before the stream", async () => {
    const missing = await caught(client.messages.create({ model: 'nope', max_tokens: 4, messages: ask('Hi') }));
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(missing.type).toBe('not_found_error');

    const tooLong = await caught(
      client.messages.create({ model: MODEL, max_tokens: 100_000, messages: ask('Hi'), stream: true }),
    );
    expect(tooLong).toBeInstanceOf(BadRequestError);
    expect(tooLong.type).toBe('invalid_request_error');
  });
});
