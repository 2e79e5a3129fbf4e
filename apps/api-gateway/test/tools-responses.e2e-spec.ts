/**
 * Function tools, function_call items and their stream events, function_call_output round trips and
 * text.format on the Responses API, with the official `openai` SDK (stored responses need chat-history). *
 * Needs a build first (`npm run build && npx jest apps/api-gateway/test/tools-responses.e2e-spec.ts`).
 */
import type { OpenAI } from 'openai';
import type { RunningPlatform } from '@llmp/testing';
import { zodTextFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import { MODEL, TIME, WEATHER, ajv, expectApiError, expectValidCall, usePlatform } from './support/tool-fixtures';

describe('tools and structured outputs on the Responses API (gateway + chat-history + inference worker as processes)', () => {
  let platform: RunningPlatform | undefined;
  let client: OpenAI;
  usePlatform(
    () => ({ chatHistory: true }),
    (p, c) => {
      platform = p;
      client = c;
    },
  );

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

    it('names every streamed event: one write of `event: <type>` then `data: <json>`, then data: [DONE]', async () => {
      const res = await fetch(`${platform!.gateway.url}/v1/responses`, {
        method: 'POST',
        headers: { authorization: `Bearer ${platform!.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: MODEL, input: 'Hi', stream: true, max_output_tokens: 5 }),
      });
      const blocks = (await res.text()).split('\n\n').filter(Boolean);
      expect(blocks.length).toBeGreaterThan(3);
      // The Open Responses spec's terminal event; OpenAI's SDKs skip it.
      expect(blocks.pop()).toBe('data: [DONE]');
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
});
