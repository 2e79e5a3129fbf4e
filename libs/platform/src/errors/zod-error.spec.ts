import { z } from 'zod';
import { ChatCompletionRequestSchema } from '@llmp/contracts';
import { ApiErrorCode } from './api-error';
import { apiErrorFromZod } from './zod-error';

function errorFor(schema: z.ZodTypeAny, input: unknown) {
  const parsed = schema.safeParse(input);
  if (parsed.success) throw new Error('expected the input to be invalid');
  return apiErrorFromZod(parsed.error);
}

describe('apiErrorFromZod', () => {
  it('names a field inside an array element as messages[0].role', () => {
    const err = errorFor(ChatCompletionRequestSchema, {
      model: 'm',
      messages: [{ role: 'wizard', content: 'hi' }],
    });
    expect(err.param).toBe('messages[0].role');
    expect(err.code).toBe(ApiErrorCode.InvalidRequest);
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/^Invalid value for 'messages\[0\]\.role': /);
  });

  it('indexes the array element that is wrong: messages[1].name', () => {
    const err = errorFor(ChatCompletionRequestSchema, {
      model: 'm',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'hi', name: 42 },
      ],
    });
    expect(err.param).toBe('messages[1].name');
  });

  it('names a top-level field plainly', () => {
    expect(
      errorFor(ChatCompletionRequestSchema, { model: 'm', messages: [{ role: 'user', content: 'x' }], n: 2 }).param,
    ).toBe('n');
    expect(
      errorFor(ChatCompletionRequestSchema, {
        model: 'm',
        messages: [{ role: 'user', content: 'x' }],
        stream_options: { include_usage: 'yes' },
      }).param,
    ).toBe('stream_options.include_usage');
  });

  it('gives a null param and names the body when the issue is at the root', () => {
    const err = errorFor(z.object({ a: z.string() }).strict(), 'not an object');
    expect(err.param).toBeNull();
    expect(err.message).toMatch(/^Invalid value for body: /);
  });

  it('reports the first issue when there are several', () => {
    const err = errorFor(z.object({ first: z.string(), second: z.string() }), { first: 1, second: 2 });
    expect(err.param).toBe('first');
  });
});
