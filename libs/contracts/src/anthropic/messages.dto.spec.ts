import { CountTokensRequestSchema, MessagesRequestSchema } from './messages.dto';
import { UNKNOWN_PARAMETER, UNSUPPORTED_PARAMETER } from '../openai/served-fields';

const base = { model: 'm', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] };

function firstIssue(result: {
  success: boolean;
  error?: { issues: { path: (string | number)[]; message: string; params?: unknown }[] };
}) {
  expect(result.success).toBe(false);
  const issue = result.error!.issues[0]!;
  return {
    path: issue.path.join('.'),
    code: (issue.params as { code?: string } | undefined)?.code,
    message: issue.message,
  };
}

const user = (content: unknown) => ({ ...base, messages: [{ role: 'user', content }] });

describe('Anthropic Messages request schema', () => {
  it('takes system as a string or text blocks, content as a string or text / tool_use / tool_result blocks', () => {
    const parsed = MessagesRequestSchema.parse({
      ...base,
      system: [{ type: 'text', text: 'be brief', cache_control: { type: 'ephemeral' } }],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'weather?' }] },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'calling', citations: null },
            { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
          ],
        },
        {
          role: 'user',
          content: [
            {
              type: 'tool_result',
              tool_use_id: 'toolu_1',
              content: [{ type: 'text', text: 'sunny' }],
              is_error: false,
            },
            { type: 'text', text: 'and tomorrow?' },
          ],
        },
      ],
      tools: [{ name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }],
      tool_choice: { type: 'any', disable_parallel_tool_use: true },
      stop_sequences: ['END'],
      temperature: 0.5,
      top_p: 0.9,
      metadata: { user_id: 'u-1' },
      service_tier: 'auto',
      thinking: { type: 'disabled' },
    });
    expect(parsed.messages).toHaveLength(3);
    expect(parsed.tools![0]!.input_schema).toEqual({ type: 'object', properties: { city: { type: 'string' } } });
    expect(parsed).not.toHaveProperty('service_tier');
  });

  it('requires max_tokens, as Anthropic does', () => {
    const { max_tokens: _omitted, ...rest } = base;
    expect(firstIssue(MessagesRequestSchema.safeParse(rest)).path).toBe('max_tokens');
  });

  it.each([
    ['thinking', { type: 'enabled', budget_tokens: 1024 }],
    ['top_k', 40],
    ['mcp_servers', [{ type: 'url', url: 'http://x', name: 'x' }]],
    ['container', 'c-1'],
    ['service_tier', 'priority'],
  ])('refuses %s with unsupported_parameter naming it', (field, value) => {
    const issue = firstIssue(MessagesRequestSchema.safeParse({ ...base, [field]: value }));
    expect(issue).toMatchObject({ path: field, code: UNSUPPORTED_PARAMETER });
  });

  it('refuses a field the standard does not have', () => {
    expect(firstIssue(MessagesRequestSchema.safeParse({ ...base, n: 2 }))).toMatchObject({
      path: 'n',
      code: UNKNOWN_PARAMETER,
    });
  });

  it('refuses an image block, in a message or a tool result, saying the model cannot read images', () => {
    const image = { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } };
    const inMessage = firstIssue(MessagesRequestSchema.safeParse(user([{ type: 'text', text: 'look' }, image])));
    expect(inMessage).toMatchObject({ path: 'messages.0.content.1', code: 'unsupported_capability' });
    expect(inMessage.message).toMatch(/cannot read images/);
    const inResult = firstIssue(
      MessagesRequestSchema.safeParse({
        ...base,
        messages: [
          { role: 'user', content: 'x' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'f', input: {} }] },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: [image] }] },
        ],
      }),
    );
    expect(inResult).toMatchObject({ path: 'messages.2.content.0.content.0', code: 'unsupported_capability' });
  });

  it('refuses document and thinking blocks as not served, and misplaced blocks as such', () => {
    const doc = { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'x' } };
    expect(firstIssue(MessagesRequestSchema.safeParse(user([doc])))).toMatchObject({
      path: 'messages.0.content.0',
      code: UNSUPPORTED_PARAMETER,
      message: "'document' content blocks are not supported by this server.",
    });
    const misplaced = firstIssue(
      MessagesRequestSchema.safeParse(user([{ type: 'tool_use', id: 't', name: 'f', input: {} }])),
    );
    expect(misplaced).toMatchObject({ path: 'messages.0.content.0', code: undefined });
    expect(misplaced.message).toMatch(/belong in assistant messages/);
  });

  it('refuses server tools by their type and checks custom tools', () => {
    expect(
      firstIssue(
        MessagesRequestSchema.safeParse({ ...base, tools: [{ type: 'web_search_20250305', name: 'web_search' }] }),
      ),
    ).toMatchObject({ path: 'tools.0', code: UNSUPPORTED_PARAMETER });
    expect(
      firstIssue(MessagesRequestSchema.safeParse({ ...base, tools: [{ name: 'f', input_schema: { type: 'string' } }] }))
        .path,
    ).toBe('tools.0.input_schema.type');
  });

  it('count_tokens takes the prompt fields only (no max_tokens), with the same block rules', () => {
    const { max_tokens: _m, ...prompt } = base;
    expect(CountTokensRequestSchema.parse(prompt).messages).toHaveLength(1);
    expect(firstIssue(CountTokensRequestSchema.safeParse(base))).toMatchObject({
      path: 'max_tokens',
      code: UNKNOWN_PARAMETER,
    });
  });
});
