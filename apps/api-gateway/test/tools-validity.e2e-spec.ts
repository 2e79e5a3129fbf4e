/**
 * Always valid: 200 forced function calls and 200 structured outputs through the API, over schemas that use every
 * construct the decoding grammar supports; every one must parse and validate (ajv, formats included). *
 * Needs a build first (`npm run build && npx jest apps/api-gateway/test/tools-validity.e2e-spec.ts`).
 */
import type { OpenAI } from 'openai';
import type { ChatCompletionTool } from 'openai/resources/chat/completions';
import { STRUCTURED_SCHEMAS } from '@llmp/testing';
import { MODEL, ajv, usePlatform, user } from './support/tool-fixtures';

describe('always-valid function calls and structured outputs (gateway + inference worker as processes)', () => {
  let client: OpenAI;
  usePlatform(
    () => ({}),
    (_p, c) => {
      client = c;
    },
  );

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
});
