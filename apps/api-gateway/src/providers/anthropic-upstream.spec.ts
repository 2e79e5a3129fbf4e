import type { ChatCompleteV1Payload } from '@llmp/contracts';
import { RemoteModelDefinitionSchema } from '@llmp/platform';
import { AnthropicAccumulator, anthropicRequest } from './anthropic-upstream';

const model = RemoteModelDefinitionSchema.parse({
  id: 'claude',
  kind: 'remote',
  provider: 'anthropic',
  endpoints: [{ base_url: 'http://127.0.0.1:1' }],
  upstream_model: 'claude-x',
  default_max_tokens: 99,
});

describe('Anthropic upstream translation', () => {
  it('turns system, calls and tool results into Messages turns, alternating roles', () => {
    const payload = {
      requestId: 'r',
      model: 'claude',
      stream: false,
      dryRun: false,
      sampling: { stop: ['END'], temperature: 1.5 },
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Weather?' },
        {
          role: 'assistant',
          content: '',
          toolCalls: [{ id: 'toolu_1', name: 'get_weather', arguments: '{"city":"Oslo"}' }],
        },
        { role: 'tool', content: '{"t":3}', toolCallId: 'toolu_1' },
        { role: 'user', content: 'And?' },
      ],
      tools: [{ name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }],
      toolChoice: 'required',
      parallelToolCalls: false,
    } as ChatCompleteV1Payload;
    expect(anthropicRequest(model, payload)).toEqual({
      model: 'claude-x',
      max_tokens: 99,
      stream: true,
      system: 'Be brief.',
      temperature: 1,
      stop_sequences: ['END'],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Weather?' }] },
        {
          role: 'assistant',
          content: [{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Oslo' } }],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_1', content: '{"t":3}' },
            { type: 'text', text: 'And?' },
          ],
        },
      ],
      tools: [{ name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }],
      tool_choice: { type: 'any', disable_parallel_tool_use: true },
    });
  });

  it('folds the typed stream into deltas, call fragments and a result with usage', () => {
    const acc = new AnthropicAccumulator();
    const events = [
      { type: 'message_start', message: { usage: { input_tokens: 12, output_tokens: 1 } } },
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Let me check.' } },
      {
        type: 'content_block_start',
        index: 1,
        content_block: { type: 'tool_use', id: 'toolu_9', name: 'f', input: {} },
      },
      { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"a":' } },
      { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '1}' } },
      { type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 7 } },
      { type: 'message_stop' },
    ];
    const out = events.flatMap((e) => acc.add(e as never));
    expect(out).toEqual([
      { type: 'delta', text: 'Let me check.' },
      { type: 'tool_call', index: 0, id: 'toolu_9', name: 'f', arguments: '' },
      { type: 'tool_call', index: 0, arguments: '{"a":' },
      { type: 'tool_call', index: 0, arguments: '1}' },
    ]);
    expect(acc.result()).toEqual({
      text: 'Let me check.',
      finishReason: 'tool_calls',
      usage: { promptTokens: 12, completionTokens: 7 },
      toolCalls: [{ id: 'toolu_9', name: 'f', arguments: '{"a":1}' }],
    });
  });
});
