import type { AnthropicStreamEvent, GenerationResult } from '@llmp/contracts';
import { ApiErrorCode } from '@llmp/platform';
import type { StartEvent } from '../generation/completion-runner.service';
import { MessagesFormat } from './messages-format';

const start: StartEvent = { type: 'start', jobId: 'j', attempt: 0, promptTokens: 7 };
const usage = { promptTokens: 7, completionTokens: 3 };
const text = (t: string, finishReason: GenerationResult['finishReason'] = 'stop'): GenerationResult => ({
  text: t,
  finishReason,
  usage,
});
const calls: GenerationResult = {
  text: '',
  finishReason: 'tool_calls',
  usage,
  toolCalls: [
    { id: 'call_aa', name: 'get_weather', arguments: '{"city":"Paris"}' },
    { id: 'call_bb', name: 'get_time', arguments: '{"timezone":"UTC"}' },
  ],
};

const types = (events: AnthropicStreamEvent[]) =>
  events.map((e) => (e.type === 'content_block_delta' ? `${e.type}:${e.delta.type}` : e.type));

describe('MessagesFormat', () => {
  it('answers a whole message with a text block, end_turn and Anthropic usage', () => {
    const m = new MessagesFormat('stories').response('msg_1', text('Once upon'), {});
    expect(m).toEqual({
      id: 'msg_1',
      type: 'message',
      role: 'assistant',
      model: 'stories',
      content: [{ type: 'text', text: 'Once upon' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: 7, output_tokens: 3, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    });
  });

  it('maps finish reasons to stop reasons: max_tokens, stop_sequence with the sequence, tool_use', () => {
    const f = new MessagesFormat('m');
    expect(f.response('msg', text('a', 'length'), {})).toMatchObject({
      stop_reason: 'max_tokens',
      stop_sequence: null,
    });
    expect(f.response('msg', { ...text('a'), stopSequence: 'END' }, {})).toMatchObject({
      stop_reason: 'stop_sequence',
      stop_sequence: 'END',
    });
    expect(f.response('msg', calls, {})).toMatchObject({ stop_reason: 'tool_use', stop_sequence: null });
  });

  it('gives a reply of calls only tool_use blocks (toolu_ ids, parsed input) and no text block', () => {
    expect(new MessagesFormat('m').response('msg', calls, {}).content).toEqual([
      { type: 'tool_use', id: 'toolu_aa', name: 'get_weather', input: { city: 'Paris' } },
      { type: 'tool_use', id: 'toolu_bb', name: 'get_time', input: { timezone: 'UTC' } },
    ]);
    const withText = new MessagesFormat('m').response('msg', { ...calls, text: 'Let me check.' }, {});
    expect(withText.content.map((b) => b.type)).toEqual(['text', 'tool_use', 'tool_use']);
  });

  it('streams text as message_start, one text block of text_deltas, message_delta and message_stop', () => {
    const f = new MessagesFormat('m');
    const events = [
      ...f.opening('msg_1', start),
      ...f.delta('msg_1', 'Once'),
      ...f.delta('msg_1', ''),
      ...f.delta('msg_1', ' upon'),
      ...f.closing('msg_1', { ...text('Once upon'), stopSequence: ' a' }),
    ];
    expect(types(events)).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta:text_delta',
      'content_block_delta:text_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    const opening = events[0] as Extract<AnthropicStreamEvent, { type: 'message_start' }>;
    expect(opening.message).toMatchObject({ id: 'msg_1', content: [], stop_reason: null, stop_sequence: null });
    expect(opening.message.usage).toMatchObject({ input_tokens: 7, output_tokens: 0 });
    expect(events[1]).toEqual({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
    expect(events.at(-2)).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'stop_sequence', stop_sequence: ' a' },
      usage: { input_tokens: 7, output_tokens: 3, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    });
  });

  it('streams calls as tool_use blocks: start with empty input, input_json_delta fragments, stop; text first', () => {
    const f = new MessagesFormat('m');
    const events = [
      ...f.opening('msg', start),
      ...f.delta('msg', 'Checking.'),
      ...f.toolCall('msg', { index: 0, id: 'call_aa', name: 'get_weather', arguments: '' }),
      ...f.toolCall('msg', { index: 0, arguments: '{"city":' }),
      ...f.toolCall('msg', { index: 0, arguments: '"Paris"}' }),
      ...f.toolCall('msg', { index: 1, id: 'call_bb', name: 'get_time', arguments: '{"timezone":"UTC"}' }),
      ...f.closing('msg', calls),
    ];
    expect(types(events)).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta:text_delta',
      'content_block_stop',
      'content_block_start',
      'content_block_delta:input_json_delta',
      'content_block_delta:input_json_delta',
      'content_block_stop',
      'content_block_start',
      'content_block_delta:input_json_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    const starts = events.filter((e) => e.type === 'content_block_start');
    expect(starts.map((e) => [e.index, e.content_block])).toEqual([
      [0, { type: 'text', text: '' }],
      [1, { type: 'tool_use', id: 'toolu_aa', name: 'get_weather', input: {} }],
      [2, { type: 'tool_use', id: 'toolu_bb', name: 'get_time', input: {} }],
    ]);
    const json = events.flatMap((e) =>
      e.type === 'content_block_delta' && e.delta.type === 'input_json_delta' && e.index === 1
        ? [e.delta.partial_json]
        : [],
    );
    expect(JSON.parse(json.join(''))).toEqual({ city: 'Paris' });
    expect(events.at(-2)).toMatchObject({ delta: { stop_reason: 'tool_use' } });
  });

  it('a stream of calls only has no text block; a stream of nothing has one empty text block', () => {
    const f = new MessagesFormat('m');
    const onlyCalls = [
      ...f.opening('msg', start),
      ...f.toolCall('msg', { index: 0, id: 'call_aa', name: 'get_weather', arguments: '{}' }),
      ...f.closing('msg', calls),
    ];
    expect(onlyCalls.filter((e) => e.type === 'content_block_start')).toHaveLength(1);
    const g = new MessagesFormat('m');
    const empty = [...g.opening('msg', start), ...g.closing('msg', text('', 'length'))];
    expect(types(empty)).toEqual([
      'message_start',
      'content_block_start',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
  });

  it('ends a failed stream with one Anthropic error event, typed by the error code', () => {
    const f = new MessagesFormat('m');
    const failure = (code: ApiErrorCode) =>
      f.failure('msg', { message: 'boom', type: 'server_error', code, param: null });
    expect(failure(ApiErrorCode.WorkerFailed)).toEqual([
      { type: 'error', error: { type: 'api_error', message: 'boom' } },
    ]);
    expect(failure(ApiErrorCode.ContextLengthExceeded)[0]).toMatchObject({ error: { type: 'invalid_request_error' } });
    expect(failure(ApiErrorCode.ServerOverloaded)[0]).toMatchObject({ error: { type: 'overloaded_error' } });
    expect(f.doneMarker).toBe(false);
    expect(f.namedEvents).toBe(true);
  });

  it("answers count_tokens' dry run with the prompt's token count", () => {
    expect(new MessagesFormat('m').dryRun(start)).toEqual({ input_tokens: 7 });
  });
});
