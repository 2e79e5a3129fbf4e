/**
 * Function calling and structured outputs on Chat Completions, with the official `openai` SDK against a real
 * gateway and inference worker (stories260K): tool_choice modes × stream and non-stream × parallel calls × the
 * legacy functions API × json_schema, `parse()` with a zod schema, `runTools()`'s loop, calls and tool results
 * stored in a conversation (`conversation_id`), and the 400s for bad tool input. The model is tiny and writes nonsense, so what is asserted is the shape and validity the grammar
 * guarantees, never what the values say. *
 * Needs a build first (`npm run build && npx jest apps/api-gateway/test/tools-chat.e2e-spec.ts`).
 */
import type { OpenAI } from 'openai';
import type { RunningPlatform } from '@llmp/testing';
import { zodFunction, zodResponseFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import { MODEL, TIME, ajv, expectApiError, expectValidCall, tools, usePlatform, user } from './support/tool-fixtures';

describe('function calling and structured outputs on Chat Completions (gateway + inference worker as processes)', () => {
  let platform: RunningPlatform | undefined;
  let client: OpenAI;
  usePlatform(
    () => ({ chatHistory: true }),
    (p, c) => {
      platform = p;
      client = c;
    },
  );

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

  it('on a stored conversation: the call is stored, and a later tool message answers it from the history', async () => {
    const conversation = await client.conversations.create({});
    const ask = (body: object) =>
      client.chat.completions.create({
        model: MODEL,
        max_tokens: 150,
        seed: 5,
        tools,
        ...body,
      } as never) as unknown as Promise<OpenAI.ChatCompletion & { conversation_id: string }>;
    const first = await ask({
      messages: user('What is the weather in Paris?'),
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      conversation_id: conversation.id,
    });
    const call = first.choices[0]!.message.tool_calls![0]!;
    if (call.type !== 'function') throw new Error('not a function call');
    expect(first.conversation_id).toBe(conversation.id);
    // Only the tool result is sent: the call it answers is in the stored history.
    const second = await ask({
      messages: [{ role: 'tool', tool_call_id: call.id, content: '{"temperature": 17, "conditions": "fog"}' }],
      tool_choice: 'none',
      max_tokens: 10,
      conversation_id: conversation.id,
    });
    expect(second.choices[0]!.message.tool_calls).toBeUndefined();
    const items = await client.conversations.items.list(conversation.id, { order: 'asc' });
    const stored = items.data.map((i) => (i.type === 'message' ? `message:${i.role}` : i.type));
    expect(stored.slice(0, 3)).toEqual(['message:user', 'function_call', 'function_call_output']);
    expect(stored[3]).toBe('message:assistant');
    expect(items.data[1]).toMatchObject({ call_id: call.id, name: 'get_weather', arguments: call.function.arguments });
    // A result for a call the conversation never made is a 400, and nothing is stored.
    await expectApiError(
      ask({ messages: [{ role: 'tool', tool_call_id: 'call_nope', content: '1' }], conversation_id: conversation.id }),
      { status: 400, param: 'messages' },
    );
    expect((await client.conversations.items.list(conversation.id)).data).toHaveLength(items.data.length);
    // The legacy functions carry no call ids to store.
    await expectApiError(
      client.chat.completions.create({
        model: MODEL,
        messages: user('x'),
        functions: [{ name: 'f' }],
        conversation_id: conversation.id,
      } as never),
      { status: 400, param: 'functions' },
    );
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
