import { ChatCompletionRequestSchema, CompletionRequestSchema } from './chat-completions.dto';
import { EmbeddingsRequestSchema } from './embeddings.dto';
import { ResponsesRequestSchema } from './responses.dto';
import { UNKNOWN_PARAMETER, UNSUPPORTED_PARAMETER } from './served-fields';

const chat = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };

function firstIssue(result: {
  success: boolean;
  error?: { issues: { path: (string | number)[]; params?: unknown }[] };
}) {
  expect(result.success).toBe(false);
  const issue = result.error!.issues[0]!;
  return { path: issue.path.join('.'), code: (issue.params as { code?: string } | undefined)?.code };
}

describe('served fields', () => {
  it.each([
    ['audio', { voice: 'alloy', format: 'mp3' }],
    ['store', true],
    ['reasoning_effort', 'high'],
  ])('refuses chat %s with unsupported_parameter naming it', (field, value) => {
    const issue = firstIssue(ChatCompletionRequestSchema.safeParse({ ...chat, [field]: value }));
    expect(issue).toEqual({ path: field, code: UNSUPPORTED_PARAMETER });
  });

  it.each([
    ['store', false],
    ['prompt_cache_key', 'abc'],
  ])('accepts chat %s when it asks for nothing (%j)', (field, value) => {
    const parsed = ChatCompletionRequestSchema.parse({ ...chat, [field]: value });
    expect(parsed).not.toHaveProperty(field);
    expect(parsed.messages).toHaveLength(1);
  });

  it('refuses a field the standard does not have with unknown_parameter', () => {
    expect(firstIssue(ChatCompletionRequestSchema.safeParse({ ...chat, top_k: 40 }))).toEqual({
      path: 'top_k',
      code: UNKNOWN_PARAMETER,
    });
    expect(firstIssue(EmbeddingsRequestSchema.safeParse({ model: 'm', input: 'x', pooling: 'cls' }))).toEqual({
      path: 'pooling',
      code: UNKNOWN_PARAMETER,
    });
  });

  it('keeps the extensions and the served fields', () => {
    const parsed = ChatCompletionRequestSchema.parse({ ...chat, dry_run: true, conversation_id: 'conv_1', seed: 3 });
    expect(parsed).toMatchObject({ dry_run: true, conversation_id: 'conv_1', seed: 3 });
  });

  it('serves logprobs, top_logprobs and logit_bias on chat, logprobs and logit_bias on completions', () => {
    const c = ChatCompletionRequestSchema.parse({
      ...chat,
      logprobs: true,
      top_logprobs: 20,
      logit_bias: { 42: -100 },
    });
    expect(c).toMatchObject({ logprobs: true, top_logprobs: 20, logit_bias: { '42': -100 } });
    const t = CompletionRequestSchema.parse({ model: 'm', prompt: 'p', logprobs: 5, logit_bias: { '1': 100 } });
    expect(t).toMatchObject({ logprobs: 5, logit_bias: { '1': 100 } });
    // Echo alone, or logprobs alone, are fine.
    expect(CompletionRequestSchema.parse({ model: 'm', prompt: 'p', echo: true, logprobs: null }).echo).toBe(true);
  });

  it.each([
    [{ logit_bias: { abc: 1 } }, 'logit_bias'],
    [{ logit_bias: { '-3': 1 } }, 'logit_bias'],
    [{ logit_bias: { '7': 101 } }, 'logit_bias'],
    [{ logit_bias: { '7': '5' } }, 'logit_bias'],
    [{ logprobs: true, top_logprobs: 21 }, 'top_logprobs'],
    [{ top_logprobs: 3 }, 'top_logprobs'],
    [{ logprobs: false, top_logprobs: 3 }, 'top_logprobs'],
  ])('refuses chat %j naming %s', (extra, path) => {
    expect(firstIssue(ChatCompletionRequestSchema.safeParse({ ...chat, ...extra }))).toEqual({
      path,
      code: undefined,
    });
  });

  it('refuses completions logprobs above 5, and logprobs with echo as unsupported', () => {
    const base = { model: 'm', prompt: 'p' };
    expect(firstIssue(CompletionRequestSchema.safeParse({ ...base, logprobs: 6 }))).toEqual({
      path: 'logprobs',
      code: undefined,
    });
    expect(firstIssue(CompletionRequestSchema.safeParse({ ...base, echo: true, logprobs: 1 }))).toEqual({
      path: 'logprobs',
      code: UNSUPPORTED_PARAMETER,
    });
  });

  it('serves Responses top_logprobs and the logprobs include, refusing other include values', () => {
    const r = ResponsesRequestSchema.parse({
      model: 'm',
      input: 'x',
      top_logprobs: 4,
      include: ['message.output_text.logprobs'],
    });
    expect(r).toMatchObject({ top_logprobs: 4, include: ['message.output_text.logprobs'] });
    expect(
      firstIssue(
        ResponsesRequestSchema.safeParse({ model: 'm', input: 'x', include: ['reasoning.encrypted_content'] }),
      ),
    ).toEqual({ path: 'include', code: UNSUPPORTED_PARAMETER });
  });

  it('serves the tool fields of chat: tools, tool_choice, legacy functions, response_format', () => {
    const tools = [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }];
    const parsed = ChatCompletionRequestSchema.parse({
      ...chat,
      tools,
      tool_choice: { type: 'function', function: { name: 'f' } },
      parallel_tool_calls: false,
      response_format: { type: 'json_object' },
    });
    expect(parsed).toMatchObject({ tools, parallel_tool_calls: false, response_format: { type: 'json_object' } });
    expect(
      ChatCompletionRequestSchema.parse({ ...chat, functions: [{ name: 'f' }], function_call: { name: 'f' } }),
    ).toMatchObject({
      functions: [{ name: 'f' }],
    });
    expect(
      firstIssue(
        ChatCompletionRequestSchema.safeParse({ ...chat, tools: [{ type: 'function', function: { name: 'a b' } }] }),
      ).path,
    ).toBe('tools.0.function.name');
  });

  it('refuses input_image as a capability the models lack, and accepts input_file parts for the gateway', () => {
    const input = (part: object) => [{ role: 'user', content: [{ type: 'input_text', text: 'see' }, part] }];
    expect(
      firstIssue(
        ResponsesRequestSchema.safeParse({ model: 'm', input: input({ type: 'input_image', image_url: 'data:x' }) }),
      ),
    ).toEqual({ path: 'input.0.content.1', code: 'unsupported_capability' });
    const file = { type: 'input_file', file_data: 'data:text/plain;base64,aGk=', filename: 'a.txt' };
    expect(ResponsesRequestSchema.parse({ model: 'm', input: input(file) }).input).toEqual(
      input(file).map((m) => ({ ...m, type: 'message' })),
    );
    expect(
      firstIssue(ResponsesRequestSchema.safeParse({ model: 'm', input: input({ type: 'input_file', file_id: 7 }) })),
    ).toMatchObject({ path: expect.stringMatching(/^input/) });
  });

  it('serves Responses function tools and refuses the other hosted tools', () => {
    const tools = [{ type: 'function', name: 'f', parameters: { type: 'object' } }];
    expect(ResponsesRequestSchema.parse({ model: 'm', input: 'x', tools }).tools).toEqual(tools);
    expect(
      firstIssue(ResponsesRequestSchema.safeParse({ model: 'm', input: 'x', tools: [{ type: 'web_search' }] })),
    ).toEqual({ path: 'tools.0.type', code: UNSUPPORTED_PARAMETER });
  });

  it('serves the Responses file_search tool and its include, and the chat file_search extension', () => {
    const tool = { type: 'file_search', vector_store_ids: ['vs_1'], max_num_results: 3 };
    const parsed = ResponsesRequestSchema.parse({
      model: 'm',
      input: 'x',
      tools: [tool],
      include: ['file_search_call.results'],
    });
    expect(parsed.tools).toEqual([tool]);
    const three = { ...tool, vector_store_ids: ['a', 'b', 'c'] };
    expect(ResponsesRequestSchema.safeParse({ model: 'm', input: 'x', tools: [three] }).success).toBe(false);
    const chatParsed = ChatCompletionRequestSchema.parse({ ...chat, file_search: { vector_store_ids: ['vs_1'] } });
    expect(chatParsed.file_search).toEqual({ vector_store_ids: ['vs_1'] });
  });
});
