import { MessagesRequestSchema } from '@llmp/contracts';
import { ApiError, ApiErrorCode } from '@llmp/platform';
import { messagesToolPlan, toJobMessages, toMessagesSampling } from './messages-request';

const WEATHER = {
  type: 'object',
  properties: { city: { type: 'string' } },
  required: ['city'],
  additionalProperties: false,
};
const tools = [
  { name: 'get_weather', description: 'Weather', input_schema: WEATHER },
  { name: 'get_time', input_schema: { type: 'object', properties: {} } },
];

const request = (extra: Record<string, unknown>) =>
  MessagesRequestSchema.parse({ model: 'm', max_tokens: 32, messages: [{ role: 'user', content: 'hi' }], ...extra });

function thrown(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected an ApiError');
}

const toolTurn = [
  { role: 'user', content: 'Weather in Paris?' },
  {
    role: 'assistant',
    content: [
      { type: 'text', text: 'Let me look.' },
      { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
    ],
  },
];

describe('Messages request → chat job', () => {
  it('puts system first, joins text blocks, and turns tool_use / tool_result into calls and tool messages', () => {
    const r = request({
      system: [
        { type: 'text', text: 'Be brief.' },
        { type: 'text', text: 'Be kind.' },
      ],
      messages: [
        ...toolTurn,
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_1', content: 'sunny' },
            { type: 'text', text: 'Thanks.' },
          ],
        },
      ],
    });
    expect(toJobMessages(r.system, r.messages)).toEqual([
      { role: 'system', content: 'Be brief.\nBe kind.' },
      { role: 'user', content: 'Weather in Paris?' },
      {
        role: 'assistant',
        content: 'Let me look.',
        toolCalls: [{ id: 'toolu_1', name: 'get_weather', arguments: '{"city":"Paris"}' }],
      },
      { role: 'tool', content: 'sunny', toolCallId: 'toolu_1' },
      { role: 'user', content: 'Thanks.' },
    ]);
  });

  it("gives a failed tool's result (is_error) to the model as the platform's own tool errors read", () => {
    const r = request({
      messages: [
        ...toolTurn,
        {
          role: 'user',
          content: [
            {
              type: 'tool_result',
              tool_use_id: 'toolu_1',
              content: [{ type: 'text', text: 'timeout' }],
              is_error: true,
            },
          ],
        },
      ],
    });
    expect(toJobMessages(undefined, r.messages).at(-1)).toEqual({
      role: 'tool',
      content: '{"error":"timeout"}',
      toolCallId: 'toolu_1',
    });
  });

  it('refuses an unanswered tool_use, a tool_result that answers nothing, and results after text', () => {
    const unanswered = thrown(() =>
      toJobMessages(undefined, request({ messages: [...toolTurn, { role: 'user', content: 'and?' }] }).messages),
    );
    expect({ code: unanswered.code, param: unanswered.param }).toEqual({
      code: ApiErrorCode.InvalidRequest,
      param: 'messages[2]',
    });
    expect(unanswered.message).toMatch(/toolu_1/);

    const stray = thrown(() =>
      toJobMessages(
        undefined,
        request({ messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_9' }] }] }).messages,
      ),
    );
    expect(stray.param).toBe('messages[0].content[0].tool_use_id');

    const late = thrown(() =>
      toJobMessages(
        undefined,
        request({
          messages: [
            ...toolTurn,
            {
              role: 'user',
              content: [
                { type: 'text', text: 'here:' },
                { type: 'tool_result', tool_use_id: 'toolu_1', content: 'sunny' },
              ],
            },
          ],
        }).messages,
      ),
    );
    expect(late.param).toBe('messages[2].content[1]');
  });

  it('refuses a final assistant message (a prefill) with 400 unsupported_parameter', () => {
    const err = thrown(() =>
      toJobMessages(
        undefined,
        request({
          messages: [
            { role: 'user', content: 'hi' },
            { role: 'assistant', content: 'Once' },
          ],
        }).messages,
      ),
    );
    expect({ code: err.code, param: err.param }).toEqual({
      code: ApiErrorCode.UnsupportedParameter,
      param: 'messages[1]',
    });
  });

  it('maps tool_choice: auto, any → required, tool → that one, none → no tools; disable_parallel_tool_use', () => {
    expect(messagesToolPlan(request({ tools }))).toMatchObject({
      plan: { toolChoice: 'auto', parallelToolCalls: true },
    });
    const any = messagesToolPlan(request({ tools, tool_choice: { type: 'any', disable_parallel_tool_use: true } }));
    expect(any.plan).toMatchObject({ toolChoice: 'required', parallelToolCalls: false });
    expect(any.plan.tools!.map((t) => t.name)).toEqual(['get_weather', 'get_time']);
    expect(any.plan.tools![0]!.parameters).toEqual(WEATHER);
    const one = messagesToolPlan(request({ tools, tool_choice: { type: 'tool', name: 'get_time' } }));
    expect(one.plan).toMatchObject({ toolChoice: 'required', tools: [{ name: 'get_time' }] });
    expect(messagesToolPlan(request({ tools, tool_choice: { type: 'none' } })).plan.tools).toBeUndefined();
  });

  it('refuses a choice naming no tool, `any` without tools, and a schema the grammar cannot express', () => {
    expect(thrown(() => messagesToolPlan(request({ tools, tool_choice: { type: 'tool', name: 'x' } }))).param).toBe(
      'tool_choice',
    );
    expect(thrown(() => messagesToolPlan(request({ tool_choice: { type: 'any' } }))).message).toMatch(
      /'any' needs at least one tool/,
    );
    const pattern = thrown(() =>
      messagesToolPlan(
        request({
          tools: [
            { name: 'f', input_schema: { type: 'object', properties: { a: { type: 'string', pattern: 'x+' } } } },
          ],
        }),
      ),
    );
    expect({ code: pattern.code, param: pattern.param }).toEqual({
      code: ApiErrorCode.UnsupportedParameter,
      param: 'tools[0]',
    });
  });

  it('takes structured outputs from output_config.format, and refuses them beside callable tools', () => {
    const format = { type: 'json_schema', schema: WEATHER };
    expect(messagesToolPlan(request({ output_config: { format } })).responseFormat).toEqual(format);
    expect(thrown(() => messagesToolPlan(request({ tools, output_config: { format } }))).param).toBe(
      'output_config.format',
    );
  });

  it('maps max_tokens, temperature, top_p and stop_sequences onto the sampling', () => {
    expect(toMessagesSampling(request({ temperature: 0.2, top_p: 0.5, stop_sequences: ['END'] }))).toEqual({
      maxTokens: 32,
      temperature: 0.2,
      topP: 0.5,
      stop: ['END'],
    });
  });
});
