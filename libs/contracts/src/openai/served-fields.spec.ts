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
    ['tools', [{ type: 'function', function: { name: 'f' } }]],
    ['tool_choice', 'required'],
    ['functions', [{ name: 'f' }]],
    ['function_call', { name: 'f' }],
    ['response_format', { type: 'json_object' }],
    ['audio', { voice: 'alloy', format: 'mp3' }],
    ['store', true],
    ['reasoning_effort', 'high'],
  ])('refuses chat %s with unsupported_parameter naming it', (field, value) => {
    const issue = firstIssue(ChatCompletionRequestSchema.safeParse({ ...chat, [field]: value }));
    expect(issue).toEqual({ path: field, code: UNSUPPORTED_PARAMETER });
  });

  it.each([
    ['tools', []],
    ['tool_choice', 'none'],
    ['response_format', { type: 'text' }],
    ['store', false],
    ['parallel_tool_calls', true],
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

  it('refuses completions logit_bias and Responses tools', () => {
    expect(firstIssue(CompletionRequestSchema.safeParse({ model: 'm', prompt: 'p', logit_bias: { '1': 5 } }))).toEqual({
      path: 'logit_bias',
      code: UNSUPPORTED_PARAMETER,
    });
    const tools = [{ type: 'function', name: 'f', parameters: {} }];
    expect(firstIssue(ResponsesRequestSchema.safeParse({ model: 'm', input: 'x', tools }))).toEqual({
      path: 'tools',
      code: UNSUPPORTED_PARAMETER,
    });
  });
});
