/**
 * Server-side functions: GET /v1/functions, `tool_execution: 'server'` running the built-ins (get_weather against
 * a local server speaking wttr.in's API) and the tools of MCP servers (a fixture over stdio and streamable HTTP),
 * errors fed back to the model, streamed loops (steps as extension chunks the SDK skips), loops on a stored
 * conversation, and the 400 for a tool the server cannot run.
 * Needs a build first (`npm run build && npx jest apps/api-gateway/test/functions.e2e-spec.ts`).
 */
import type OpenAI from 'openai';
import type { RunningPlatform } from '@llmp/testing';
import { ChildProcess, spawn } from 'node:child_process';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { REPO_ROOT } from '@llmp/testing';
import { MODEL, tools, usePlatform, user } from './support/tool-fixtures';

describe('server-side functions: built-ins and MCP tools (gateway + inference worker + fixtures as processes)', () => {
  let platform: RunningPlatform | undefined;
  let client: OpenAI;
  let weather: Server;
  const weatherAsked: string[] = [];
  let mcpHttp: ChildProcess | undefined;
  let mcpPort = 0;
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
    mcpPort = await new Promise<number>((res, rej) => {
      mcpHttp!.stdout!.on('data', (d: Buffer) => {
        const m = /listening (\d+)/.exec(d.toString());
        if (m) res(Number(m[1]));
      });
      mcpHttp!.on('exit', (code) => rej(new Error(`MCP fixture exited (${code})`)));
    });
  });

  afterAll(async () => {
    await new Promise<void>((r) => (weather ? weather.close(() => r()) : r()));
    mcpHttp?.kill();
  });

  usePlatform(
    () => ({
      gatewayEnv: {
        WEATHER_PROVIDER_URL: `http://127.0.0.1:${(weather.address() as AddressInfo).port}`,
        MCP_SERVERS: JSON.stringify([
          { name: 'local', command: process.execPath, args: [MCP_FIXTURE] },
          { name: 'remote', url: `http://127.0.0.1:${mcpPort}/mcp` },
        ]),
      },
      chatHistory: true,
    }),
    (p, c) => {
      platform = p;
      client = c;
    },
  );

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

    it('a streamed loop sends each step as a tool_step chunk and the answer as content the SDK assembles', async () => {
      const stream = client.chat.completions.stream({
        model: MODEL,
        // Room for the tiny model's call (a call cut off by max_tokens ends the loop with finish_reason length).
        max_tokens: 150,
        messages: user('What is the weather in Oslo?'),
        tools: [{ type: 'function', function: { name: 'get_weather' } }],
        tool_choice: { type: 'function', function: { name: 'get_weather' } },
        stream_options: { include_usage: true },
        tool_execution: 'server',
      });
      const chunks: Record<string, unknown>[] = [];
      let content = '';
      for await (const chunk of stream) {
        chunks.push(chunk as unknown as Record<string, unknown>);
        content += chunk.choices[0]?.delta.content ?? '';
      }
      const final = await stream.finalChatCompletion();
      type Step = { step: number; calls: { name: string; output: string; error: boolean }[] };
      const steps = chunks.filter((c) => c['tool_step']).map((c) => c['tool_step'] as Step);
      expect(steps[0]).toMatchObject({
        step: 0,
        calls: [expect.objectContaining({ name: 'get_weather', error: false })],
      });
      expect(JSON.parse(steps[0]!.calls[0]!.output)).toMatchObject({ conditions: 'Fog' });
      // Step chunks carry no choices, so the SDK's message is the streamed text alone, with no tool calls.
      expect(final.choices[0]!.message.content).toBe(content);
      expect(final.choices[0]!.message.tool_calls ?? []).toEqual([]);
      expect(['stop', 'length']).toContain(final.choices[0]!.finish_reason);
      const closing = chunks.find((c) => (c['choices'] as { finish_reason: string | null }[])[0]?.finish_reason);
      expect((closing!['tool_trace'] as Step['calls'])[0]).toMatchObject({ name: 'get_weather', step: 0 });
      // One id for the whole loop, and usage summed over its steps at the end.
      expect(new Set(chunks.map((c) => c['id'])).size).toBe(1);
      const usage = chunks[chunks.length - 1]!['usage'] as { completion_tokens: number; prompt_tokens: number };
      expect(usage.completion_tokens).toBeGreaterThan(0);
      expect(usage.prompt_tokens).toBeGreaterThan(0);
    });

    it('a loop on a stored conversation appends the question and the final answer', async () => {
      const conv = await fetch(`${platform!.gateway.url}/v1/conversations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${platform!.apiKey}`, 'content-type': 'application/json' },
        body: '{}',
      });
      const { id } = (await conv.json()) as { id: string };
      const res = await post({
        conversation_id: id,
        messages: user('Weather in Rome?'),
        tools: [{ type: 'function', function: { name: 'get_weather' } }],
        tool_choice: 'required',
        tool_execution: 'server',
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as {
        conversation_id: string;
        choices: { message: { content: string } }[];
        tool_trace: unknown[];
      };
      expect(body.conversation_id).toBe(id);
      expect(body.tool_trace.length).toBeGreaterThanOrEqual(1);
      const items = await fetch(`${platform!.gateway.url}/v1/conversations/${id}/items?order=asc`, {
        headers: { authorization: `Bearer ${platform!.apiKey}` },
      });
      const list = (await items.json()) as { data: { role: string; content: { text: string }[] }[] };
      expect(list.data.map((i) => i.role)).toEqual(['user', 'assistant']);
      expect(list.data[0]!.content[0]!.text).toBe('Weather in Rome?');
      expect(list.data[1]!.content[0]!.text).toBe(body.choices[0]!.message.content);
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
});
