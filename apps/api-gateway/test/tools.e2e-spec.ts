/**
 * Function calling and structured outputs on Chat Completions, with the official `openai` SDK against a real
 * gateway and inference worker (stories260K) started as processes from dist/: tool_choice modes × stream and
 * non-stream × parallel calls × the legacy functions API × json_schema, `parse()` with a zod schema and
 * `runTools()`'s loop. The model is tiny and writes nonsense, so what is asserted is the shape and validity the
 * grammar guarantees, never what the values say.
 *
 * Needs a build first (`npm run build && npx jest apps/api-gateway/test/tools.e2e-spec.ts`).
 */
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { APIError, OpenAI } from 'openai';
import { zodFunction, zodResponseFormat, zodTextFormat } from 'openai/helpers/zod';
import type { ChatCompletionTool } from 'openai/resources/chat/completions';
import { z } from 'zod';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { REPO_ROOT, RunningPlatform, STRUCTURED_SCHEMAS, startPlatform } from '@llmp/testing';

const MODEL = 'stories260k';

const WEATHER = {
  type: 'object',
  properties: {
    city: { type: 'string', maxLength: 20 },
    unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
    days: { type: 'integer' },
  },
  required: ['city', 'unit', 'days'],
  additionalProperties: false,
} as const;

const TIME = {
  type: 'object',
  properties: { timezone: { type: 'string', maxLength: 30 } },
  required: ['timezone'],
  additionalProperties: false,
} as const;

const tools: ChatCompletionTool[] = [
  { type: 'function', function: { name: 'get_weather', description: 'Weather forecast', parameters: WEATHER } },
  { type: 'function', function: { name: 'get_time', description: 'Current time', parameters: TIME, strict: true } },
];
const schemaOf: Record<string, object> = { get_weather: WEATHER, get_time: TIME };
const ajv = new Ajv();
addFormats(ajv);

const user = (content: string) => [{ role: 'user' as const, content }];

async function expectApiError(call: Promise<unknown>, expected: { status: number; param: string; code?: string }) {
  let caught: unknown;
  try {
    await call;
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(APIError);
  const err = caught as APIError;
  expect({ status: err.status, param: err.param }).toEqual({ status: expected.status, param: expected.param });
  if (expected.code) expect(err.code).toBe(expected.code);
  return err;
}

function expectValidCall(call: { function: { name: string; arguments: string } }, names: string[]) {
  expect(names).toContain(call.function.name);
  const args = JSON.parse(call.function.arguments) as unknown;
  expect(ajv.validate(schemaOf[call.function.name]!, args)).toBe(true);
  return args;
}

describe('function calling and structured outputs (gateway + inference worker as processes)', () => {
  let platform: RunningPlatform | undefined;
  let client: OpenAI;

  let weather: Server;
  const weatherAsked: string[] = [];
  let mcpHttp: ChildProcess | undefined;
  const MCP_FIXTURE = resolve(REPO_ROOT, 'apps/api-gateway/test/fixtures/mcp-fixture.mjs');

  beforeAll(async () => {
    // A local weather provider speaking wttr.in's JSON API, for the get_weather built-in.
    weather = createServer((req, res) => {
      weatherAsked.push(req.url ?? '');
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ current_condition: [{ temp_C: '17', temp_F: '63', weatherDesc: [{ value: 'Fog' }] }] }));
    });
    await new Promise<void>((r) => weather.listen(0, '127.0.0.1', r));
    // The MCP fixture over streamable HTTP (its stdio twin is started by the gateway itself).
    mcpHttp = spawn(process.execPath, [MCP_FIXTURE, '--http'], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const mcpPort = await new Promise<number>((res, rej) => {
      mcpHttp!.stdout!.on('data', (d: Buffer) => {
        const m = /listening (\d+)/.exec(d.toString());
        if (m) res(Number(m[1]));
      });
      mcpHttp!.on('exit', (code) => rej(new Error(`MCP fixture exited (${code})`)));
    });
    const mcpServers = [
      { name: 'local', command: process.execPath, args: [MCP_FIXTURE] },
      { name: 'remote', url: `http://127.0.0.1:${mcpPort}/mcp` },
    ];
    platform = await startPlatform({
      env: { LOG_LEVEL: 'warn' },
      workerModels: MODEL,
      chatHistory: true,
      gatewayEnv: {
        WEATHER_PROVIDER_URL: `http://127.0.0.1:${(weather.address() as AddressInfo).port}`,
        MCP_SERVERS: JSON.stringify(mcpServers),
      },
    });
    client = new OpenAI({
      baseURL: `${platform.gateway.url}/v1`,
      apiKey: platform.apiKey,
      maxRetries: 0,
      timeout: 60_000,
    });
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
    await new Promise<void>((r) => (weather ? weather.close(() => r()) : r()));
    mcpHttp?.kill();
  });

  afterEach(() => {
    for (const app of platform ? [platform.worker!, platform.gateway] : []) {
      if (app.proc.exitCode !== null) throw new Error(`${app.name} exited (${app.proc.exitCode}):\n${app.output()}`);
    }
  });

  describe.each([false, true])('parallel_tool_calls %s', (parallel) => {
    it('required: the reply is calls, each valid against its function', async () => {
      const res = await client.chat.completions.create({
        model: MODEL,
        messages: user('What is the weather in Paris?'),
        tools,
        tool_choice: 'required',
        parallel_tool_calls: parallel,
        max_tokens: 150,
        seed: 3,
      });
      const choice = res.choices[0]!;
      expect(choice.finish_reason).toBe('tool_calls');
      const calls = choice.message.tool_calls!;
      expect(calls.length).toBeGreaterThanOrEqual(1);
      if (!parallel) expect(calls).toHaveLength(1);
      for (const call of calls) {
        expect(call.type).toBe('function');
        expect(call.id).toMatch(/^call_/);
        if (call.type === 'function') expectValidCall(call, ['get_weather', 'get_time']);
      }
      expect(new Set(calls.map((c) => c.id)).size).toBe(calls.length);
    });
  });

  it('a named function is the one called', async () => {
    const res = await client.chat.completions.create({
      model: MODEL,
      messages: user('Tell me a story.'),
      tools,
      tool_choice: { type: 'function', function: { name: 'get_time' } },
      max_tokens: 150,
    });
    const calls = res.choices[0]!.message.tool_calls!;
    expect(calls).toHaveLength(1);
    const call = calls[0]!;
    if (call.type !== 'function') throw new Error('not a function call');
    expect(call.function.name).toBe('get_time');
    expectValidCall(call, ['get_time']);
  });

  it('allowed_tools limits the calls to its subset', async () => {
    const res = await client.chat.completions.create({
      model: MODEL,
      messages: user('Weather?'),
      tools,
      tool_choice: {
        type: 'allowed_tools',
        allowed_tools: { mode: 'required', tools: [{ type: 'function', function: { name: 'get_weather' } }] },
      },
      max_tokens: 150,
    });
    for (const call of res.choices[0]!.message.tool_calls!) {
      if (call.type === 'function') expectValidCall(call, ['get_weather']);
    }
  });

  it('none: text, no calls; auto: the model may answer in text', async () => {
    for (const tool_choice of ['none', 'auto'] as const) {
      const res = await client.chat.completions.create({
        model: MODEL,
        messages: user('Once upon a time'),
        tools,
        tool_choice,
        max_tokens: 12,
        seed: 1,
      });
      const choice = res.choices[0]!;
      if (tool_choice === 'none') {
        expect(choice.message.tool_calls).toBeUndefined();
        expect(['stop', 'length']).toContain(choice.finish_reason);
      } else if (choice.finish_reason === 'tool_calls') {
        for (const call of choice.message.tool_calls!)
          if (call.type === 'function') expectValidCall(call, ['get_weather', 'get_time']);
      } else {
        expect(typeof choice.message.content).toBe('string');
      }
    }
  });

  it('streams calls as delta.tool_calls: id, type and name first, then argument fragments, then finish_reason', async () => {
    const stream = await client.chat.completions.create({
      model: MODEL,
      messages: user('Weather in Rome'),
      tools,
      tool_choice: 'required',
      stream: true,
      max_tokens: 150,
      seed: 5,
    });
    const byIndex = new Map<number, { id?: string; name?: string; args: string; fragments: number }>();
    let role: string | undefined;
    let finish: string | null = null;
    let first = true;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      if (!choice) continue;
      if (first) role = choice.delta.role;
      first = false;
      for (const d of choice.delta.tool_calls ?? []) {
        const seen = byIndex.get(d.index);
        if (!seen) {
          expect(d.id).toMatch(/^call_/);
          expect(d.type).toBe('function');
          expect(d.function?.name).toBeDefined();
          byIndex.set(d.index, { id: d.id, name: d.function!.name, args: d.function?.arguments ?? '', fragments: 1 });
        } else {
          expect(d.id).toBeUndefined();
          seen.args += d.function?.arguments ?? '';
          seen.fragments++;
        }
      }
      if (choice.finish_reason) finish = choice.finish_reason;
    }
    expect(role).toBe('assistant');
    expect(finish).toBe('tool_calls');
    expect(byIndex.size).toBeGreaterThanOrEqual(1);
    for (const call of byIndex.values()) {
      expect(call.fragments).toBeGreaterThan(1);
      expectValidCall({ function: { name: call.name!, arguments: call.args } }, ['get_weather', 'get_time']);
    }
  });

  it("the SDK's stream helper assembles the streamed calls", async () => {
    const runner = client.chat.completions.stream({
      model: MODEL,
      messages: user('Weather in Oslo'),
      tools,
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      max_tokens: 150,
    });
    const final = await runner.finalChatCompletion();
    const call = final.choices[0]!.message.tool_calls![0]!;
    if (call.type !== 'function') throw new Error('not a function call');
    expectValidCall(call, ['get_weather']);
  });

  it('legacy functions + function_call: a function_call reply, streamed and not', async () => {
    const body = {
      model: MODEL,
      messages: user('Time in Tokyo?'),
      functions: [{ name: 'get_time', parameters: TIME }],
      function_call: { name: 'get_time' },
      max_tokens: 150,
    };
    const res = await client.chat.completions.create(body);
    expect(res.choices[0]!.finish_reason).toBe('function_call');
    const fc = res.choices[0]!.message.function_call!;
    expect(fc.name).toBe('get_time');
    expect(ajv.validate(TIME, JSON.parse(fc.arguments))).toBe(true);
    expect(res.choices[0]!.message.tool_calls).toBeUndefined();

    const stream = await client.chat.completions.create({ ...body, stream: true });
    let name = '';
    let args = '';
    let finish: string | null = null;
    for await (const chunk of stream) {
      const c = chunk.choices[0];
      if (!c) continue;
      name += c.delta.function_call?.name ?? '';
      args += c.delta.function_call?.arguments ?? '';
      finish = c.finish_reason ?? finish;
    }
    expect(name).toBe('get_time');
    expect(ajv.validate(TIME, JSON.parse(args))).toBe(true);
    expect(finish).toBe('function_call');
  });

  it('tool results in the history are rendered through the chat template', async () => {
    const dry = await fetch(`${platform!.gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${platform!.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: MODEL,
        dry_run: true,
        tools,
        messages: [
          { role: 'user', content: 'Weather in Paris?' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              {
                id: 'call_1',
                type: 'function',
                function: { name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius","days":1}' },
              },
            ],
          },
          { role: 'tool', tool_call_id: 'call_1', content: '{"temperature":21}' },
        ],
      }),
    });
    expect(dry.status).toBe(200);
    const { prompt } = (await dry.json()) as { prompt: string };
    expect(prompt).toContain('get_weather');
    expect(prompt).toContain('"temperature": 21');
    expect(prompt).toContain('Paris');
  });

  it('json_schema: parse() with a zod schema returns a parsed, valid object', async () => {
    const Person = z.object({
      name: z.string().max(20),
      age: z.number().int(),
      pets: z.array(z.enum(['cat', 'dog'])).max(3),
    });
    const res = await client.chat.completions.parse({
      model: MODEL,
      messages: user('Describe a person.'),
      response_format: zodResponseFormat(Person, 'person'),
      max_tokens: 200,
    });
    const msg = res.choices[0]!.message;
    expect(res.choices[0]!.finish_reason).toBe('stop');
    expect(Person.parse(msg.parsed)).toEqual(msg.parsed);
  });

  it('json_object: the reply is a JSON object', async () => {
    const res = await client.chat.completions.create({
      model: MODEL,
      messages: user('Reply in JSON.'),
      response_format: { type: 'json_object' },
      max_tokens: 60,
      seed: 2,
    });
    const choice = res.choices[0]!;
    if (choice.finish_reason === 'stop') {
      const value = JSON.parse(choice.message.content!) as unknown;
      expect(typeof value).toBe('object');
      expect(Array.isArray(value)).toBe(false);
    } else {
      expect(choice.finish_reason).toBe('length');
    }
  });

  it('runTools() drives the tool loop: calls the function with parsed arguments and sends its result back', async () => {
    const seen: unknown[] = [];
    const runner = client.chat.completions.runTools(
      {
        model: MODEL,
        messages: user('What time is it in Lima?'),
        tools: [
          zodFunction({
            name: 'get_time',
            parameters: z.object({ timezone: z.string().max(30) }),
            function: (args: { timezone: string }) => {
              seen.push(args);
              return { time: '12:00' };
            },
          }),
        ],
        tool_choice: 'required',
        max_tokens: 100,
      },
      { maxChatCompletions: 3 },
    );
    await runner.done();
    const messages = runner.messages;
    // Three forced rounds: each call answered by a tool message the next request carried back.
    expect(seen).toHaveLength(3);
    for (const args of seen) expect(typeof (args as { timezone: string }).timezone).toBe('string');
    expect(messages.filter((m) => m.role === 'tool')).toHaveLength(3);
  });

  describe('Responses API', () => {
    const fnTools = [
      { type: 'function' as const, name: 'get_weather', description: 'Weather', parameters: WEATHER, strict: true },
      { type: 'function' as const, name: 'get_time', parameters: TIME, strict: false },
    ];

    it('required: function_call output items, valid arguments; a function_call_output continues the chain', async () => {
      const first = await client.responses.create({
        model: MODEL,
        input: 'Weather in Paris?',
        tools: fnTools,
        tool_choice: 'required',
        max_output_tokens: 150,
      });
      expect(first.status).toBe('completed');
      const calls = first.output.filter((o) => o.type === 'function_call');
      expect(calls.length).toBeGreaterThanOrEqual(1);
      expect(first.output.some((o) => o.type === 'message')).toBe(false);
      for (const c of calls) {
        if (c.type !== 'function_call') continue;
        expect(c.call_id).toMatch(/^call_/);
        expect(c.id).toMatch(/^fc_/);
        expectValidCall({ function: { name: c.name, arguments: c.arguments } }, ['get_weather', 'get_time']);
      }
      expect(first.tools.map((t) => (t as { strict: boolean }).strict)).toEqual([true, false]);
      const call = calls[0]!;
      if (call.type !== 'function_call') throw new Error('not a call');
      const second = await client.responses.create({
        model: MODEL,
        previous_response_id: first.id,
        input: [{ type: 'function_call_output', call_id: call.call_id, output: '{"temperature": 21}' }],
        tools: fnTools,
        tool_choice: 'none',
        max_output_tokens: 8,
      });
      expect(second.output.map((o) => o.type)).toEqual(['message']);
      const items = await client.responses.inputItems.list(second.id);
      expect(items.data.map((i) => i.type)).toContain('function_call_output');
    });

    it('a function_call_output answering no call is a 400', async () => {
      await expectApiError(
        client.responses.create({
          model: MODEL,
          input: [{ type: 'function_call_output', call_id: 'call_nope', output: '1' }],
        }),
        { status: 400, param: 'input' },
      );
    });

    it('streams output_item.added, function_call_arguments.delta/done and output_item.done for a call', async () => {
      const stream = await client.responses.create({
        model: MODEL,
        input: 'Time?',
        tools: fnTools,
        tool_choice: { type: 'function', name: 'get_time' },
        stream: true,
        max_output_tokens: 150,
      });
      const types: string[] = [];
      let args = '';
      let done: { arguments: string } | undefined;
      let completed: { output: { type: string; arguments?: string }[] } | undefined;
      for await (const ev of stream) {
        types.push(ev.type);
        if (ev.type === 'response.function_call_arguments.delta') args += ev.delta;
        if (ev.type === 'response.function_call_arguments.done') done = ev;
        if (ev.type === 'response.completed') completed = ev.response as never;
      }
      expect(types[0]).toBe('response.created');
      expect(types.indexOf('response.output_item.added')).toBeLessThan(
        types.indexOf('response.function_call_arguments.delta'),
      );
      expect(types).toContain('response.function_call_arguments.done');
      expect(done!.arguments).toBe(args);
      expect(ajv.validate(TIME, JSON.parse(args))).toBe(true);
      expect(completed!.output).toEqual([expect.objectContaining({ type: 'function_call', arguments: args })]);
    });

    it('names every streamed event: one write of `event: <type>` then `data: <json>`', async () => {
      const res = await fetch(`${platform!.gateway.url}/v1/responses`, {
        method: 'POST',
        headers: { authorization: `Bearer ${platform!.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: MODEL, input: 'Hi', stream: true, max_output_tokens: 5 }),
      });
      const blocks = (await res.text()).split('\n\n').filter(Boolean);
      expect(blocks.length).toBeGreaterThan(3);
      for (const block of blocks) {
        const [eventLine, dataLine, ...rest] = block.split('\n');
        expect(rest).toEqual([]);
        const data = JSON.parse(dataLine!.slice('data: '.length)) as { type: string; sequence_number: number };
        expect(eventLine).toBe(`event: ${data.type}`);
      }
    });

    it('text.format json_schema: responses.parse() with zodTextFormat', async () => {
      const City = z.object({ city: z.string().max(16), population: z.number().int() });
      const res = await client.responses.parse({
        model: MODEL,
        input: 'A city as JSON.',
        text: { format: zodTextFormat(City, 'city') },
        max_output_tokens: 120,
      });
      expect(res.status).toBe('completed');
      expect(City.parse(res.output_parsed)).toEqual(res.output_parsed);
    });
  });

  describe('always valid', () => {
    /** Schemas that exercise every grammar construct: numbers, integers, enums, nesting, nulls, formats, refs. */
    const SCHEMAS = STRUCTURED_SCHEMAS;
    const names = Object.keys(SCHEMAS);
    const RUNS = 200;
    const CONCURRENCY = 8;

    async function pool<T>(n: number, run: (i: number) => Promise<T>): Promise<T[]> {
      const out: T[] = new Array<T>(n);
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < n) {
            const i = next++;
            out[i] = await run(i);
          }
        }),
      );
      return out;
    }

    it(`${RUNS} forced calls: every one parses and validates against its schema`, async () => {
      const ts: ChatCompletionTool[] = names.map((name) => ({
        type: 'function',
        function: { name, parameters: SCHEMAS[name] as Record<string, unknown> },
      }));
      const bad: string[] = [];
      await pool(RUNS, async (i) => {
        const name = names[i % names.length]!;
        const res = await client.chat.completions.create({
          model: MODEL,
          messages: user(`Make ${name} number ${i}`),
          tools: ts,
          tool_choice: { type: 'function', function: { name } },
          temperature: 1.2,
          seed: i,
          max_tokens: 120,
        });
        expect(res.usage!.completion_tokens).toBeGreaterThan(0);
        const call = res.choices[0]!.message.tool_calls?.[0];
        if (!call || call.type !== 'function' || res.choices[0]!.finish_reason !== 'tool_calls') {
          bad.push(`${i}: no call (${res.choices[0]!.finish_reason})`);
          return;
        }
        try {
          if (!ajv.validate(SCHEMAS[name]!, JSON.parse(call.function.arguments))) {
            bad.push(`${i}: ${call.function.arguments} ${ajv.errorsText()}`);
          }
        } catch {
          bad.push(`${i}: unparsable ${call.function.arguments}`);
        }
      });
      expect(bad).toEqual([]);
    }, 300_000);

    it(`${RUNS} structured outputs: every finished one parses and validates`, async () => {
      const bad: string[] = [];
      const failures: string[] = [];
      let finished = 0;
      await pool(RUNS, async (i) => {
        const name = names[i % names.length]!;
        const res = await client.chat.completions
          .create({
            model: MODEL,
            messages: user(`Describe ${name} ${i}`),
            response_format: {
              type: 'json_schema',
              json_schema: { name, schema: SCHEMAS[name] as Record<string, unknown>, strict: true },
            },
            temperature: 1.2,
            seed: i,
            max_tokens: 300,
          })
          .catch((err: Error) => {
            failures.push(`${i}: ${err.message}`);
            return null;
          });
        if (!res) return;
        const choice = res.choices[0]!;
        if (choice.finish_reason !== 'stop') return;
        finished++;
        try {
          if (!ajv.validate(SCHEMAS[name]!, JSON.parse(choice.message.content!))) bad.push(`${i}: ${ajv.errorsText()}`);
        } catch {
          bad.push(`${i}: unparsable ${choice.message.content}`);
        }
      });
      expect(bad).toEqual([]);
      // Cut by max_tokens is the only way out of the grammar; almost every reply fits in 300 tokens.
      expect(finished).toBeGreaterThan(RUNS * 0.9);
      expect(failures).toEqual([]);
    }, 300_000);
  });

  describe('server-side functions', () => {
    const post = (body: object) =>
      fetch(`${platform!.gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${platform!.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: MODEL, max_tokens: 150, ...body }),
      });

    it('GET /v1/functions lists the built-ins and the MCP tools with JSON schemas', async () => {
      const res = await fetch(`${platform!.gateway.url}/v1/functions`, {
        headers: { authorization: `Bearer ${platform!.apiKey}` },
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { data: { name: string; parameters: { type: string }; source: string }[] };
      expect(body.data.map((f) => f.name).sort()).toEqual(
        [
          'add_numbers',
          'convert_timezone',
          'date_add',
          'date_difference',
          'get_current_time',
          'get_weather',
          'remote_add_numbers',
          'remote_shout',
          'shout',
        ].sort(),
      );
      for (const f of body.data) expect(f.parameters.type).toBe('object');
      const sources = Object.fromEntries(body.data.map((f) => [f.name, f.source]));
      expect(sources['get_weather']).toBe('builtin');
      expect(sources['add_numbers']).toBe('mcp:local');
      expect(sources['shout']).toBe('mcp:local');
      expect(sources['remote_add_numbers']).toBe('mcp:remote');
      // Left out: its schema has a `pattern` the grammar cannot express.
      expect(sources['patterned']).toBeUndefined();
    });

    it.each(['add_numbers', 'shout', 'remote_add_numbers'])(
      'runs the MCP tool %s through the server loop',
      async (name) => {
        const res = await post({
          messages: user('Use the tool.'),
          tools: [{ type: 'function', function: { name } }],
          tool_choice: { type: 'function', function: { name } },
          tool_execution: 'server',
        });
        expect(res.status).toBe(200);
        const body = (await res.json()) as {
          tool_trace: { name: string; arguments: string; output: string; error: boolean }[];
        };
        const call = body.tool_trace[0]!;
        expect(call).toMatchObject({ name, error: false });
        const args = JSON.parse(call.arguments) as { a: number; b: number; text: string };
        // The output is what the MCP server computed from the model's arguments.
        expect(call.output).toBe(name.endsWith('add_numbers') ? String(args.a + args.b) : args.text.toUpperCase());
      },
    );

    it("tool_execution 'server' runs the called function and answers with its trace", async () => {
      const res = await post({
        messages: user('What is the weather in Paris?'),
        tools: [{ type: 'function', function: { name: 'get_weather' } }],
        tool_choice: { type: 'function', function: { name: 'get_weather' } },
        tool_execution: 'server',
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as {
        choices: { finish_reason: string; message: { content: string; tool_calls?: unknown } }[];
        usage: { completion_tokens: number };
        tool_trace: { name: string; arguments: string; output: string; error: boolean; step: number }[];
      };
      expect(body.tool_trace.length).toBeGreaterThanOrEqual(1);
      const first = body.tool_trace[0]!;
      expect(first).toMatchObject({ name: 'get_weather', step: 0, error: false });
      // The value comes from the provider (the fixture), not from the model.
      const { location, unit } = JSON.parse(first.arguments) as { location: string; unit?: string };
      expect(JSON.parse(first.output)).toMatchObject({
        temperature: unit === 'fahrenheit' ? 63 : 17,
        conditions: 'Fog',
      });
      expect(weatherAsked).toContain(`/${encodeURIComponent(location)}?format=j1`);
      // The model answered after seeing the result: the final message is text.
      expect(['stop', 'length']).toContain(body.choices[0]!.finish_reason);
      expect(body.choices[0]!.message.tool_calls).toBeUndefined();
      expect(body.usage.completion_tokens).toBeGreaterThan(0);
    });

    it('a function that fails gives the model an error result, not a failed request', async () => {
      const res = await post({
        messages: user('Time on Mars?'),
        tools: [{ type: 'function', function: { name: 'get_current_time' } }],
        tool_choice: 'required',
        tool_execution: 'server',
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { tool_trace: { output: string; error: boolean; arguments: string }[] };
      const call = body.tool_trace[0]!;
      // The tiny model invents a zone name: valid ones answer, made-up ones are a tool error for the model.
      const zone = (JSON.parse(call.arguments) as { timezone: string }).timezone;
      const valid = (() => {
        try {
          new Intl.DateTimeFormat('en', { timeZone: zone });
          return true;
        } catch {
          return false;
        }
      })();
      expect(call.error).toBe(!valid);
      if (!valid) expect(JSON.parse(call.output)).toEqual({ error: expect.stringContaining('Unknown time zone') });
    });

    it('a tool that is not a server function is a 400 naming it (get_weather is one, get_time is not)', async () => {
      const res = await post({ messages: user('x'), tools, tool_execution: 'server' });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { param: string } }).error.param).toBe('tools[1]');
    });
  });

  describe('bad input', () => {
    it('an invalid JSON schema names the tool', async () => {
      await expectApiError(
        client.chat.completions.create({
          model: MODEL,
          messages: user('x'),
          tools: [
            {
              type: 'function',
              function: { name: 'bad', parameters: { type: 'object', properties: { a: { type: 'strin' } } } },
            },
          ],
        }),
        { status: 400, param: 'tools[0]' },
      );
    });

    it('a schema keyword the grammar cannot express is a 400 naming it, never free text', async () => {
      const err = await expectApiError(
        client.chat.completions.create({
          model: MODEL,
          messages: user('x'),
          tools: [
            {
              type: 'function',
              function: {
                name: 'p',
                parameters: { type: 'object', properties: { a: { type: 'string', pattern: '^a+$' } } },
              },
            },
          ],
        }),
        { status: 400, param: 'tools[0]', code: 'unsupported_parameter' },
      );
      expect(err.message).toContain("'pattern'");
      const err2 = await expectApiError(
        client.chat.completions.create({
          model: MODEL,
          messages: user('x'),
          response_format: { type: 'json_schema', json_schema: { name: 'n', schema: { type: 'number', minimum: 3 } } },
        }),
        { status: 400, param: 'response_format', code: 'unsupported_parameter' },
      );
      expect(err2.message).toContain("'minimum'");
    });

    it('tool_choice naming an unknown function', async () => {
      await expectApiError(
        client.chat.completions.create({
          model: MODEL,
          messages: user('x'),
          tools,
          tool_choice: { type: 'function', function: { name: 'nope' } },
        }),
        { status: 400, param: 'tool_choice' },
      );
    });

    it('a tool_call_id that answers no call, and a call left unanswered', async () => {
      await expectApiError(
        client.chat.completions.create({
          model: MODEL,
          tools,
          messages: [
            { role: 'user', content: 'x' },
            { role: 'tool', tool_call_id: 'call_x', content: '1' },
          ],
        }),
        { status: 400, param: 'messages[1].tool_call_id' },
      );
      await expectApiError(
        client.chat.completions.create({
          model: MODEL,
          tools,
          messages: [
            { role: 'user', content: 'x' },
            {
              role: 'assistant',
              tool_calls: [{ id: 'c1', type: 'function', function: { name: 'get_time', arguments: '{}' } }],
            },
            { role: 'user', content: 'y' },
          ],
        }),
        { status: 400, param: 'messages[2]' },
      );
    });

    it('duplicate function names and required without tools', async () => {
      await expectApiError(
        client.chat.completions.create({ model: MODEL, messages: user('x'), tools: [tools[0]!, tools[0]!] }),
        { status: 400, param: 'tools[1]' },
      );
      await expectApiError(
        client.chat.completions.create({ model: MODEL, messages: user('x'), tool_choice: 'required' }),
        { status: 400, param: 'tool_choice' },
      );
    });
  });
});
