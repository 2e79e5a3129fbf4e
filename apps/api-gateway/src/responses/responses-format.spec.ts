import { ResponsesRequestSchema } from '@llmp/contracts';
import { ResponsesFormat } from './responses-format';

function format() {
  return new ResponsesFormat({
    model: 'm',
    request: ResponsesRequestSchema.parse({ model: 'm', input: 'hi' }),
    conversationId: null,
    createdAt: 1,
  });
}

const result = { text: 'Hello there', finishReason: 'stop' as const, usage: { promptTokens: 3, completionTokens: 2 } };

describe('ResponsesFormat', () => {
  it('numbers the whole stream from 0 and ends with response.completed carrying the text and usage', () => {
    const f = format();
    const events = [
      ...f.opening('resp_abc'),
      f.delta('resp_abc', 'Hello'),
      f.delta('resp_abc', ' there'),
      ...f.closing('resp_abc', result, { context: null }),
    ] as {
      type: string;
      sequence_number: number;
      response?: { output: { content: { text: string }[] }[]; usage: { total_tokens: number } };
    }[];
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    expect(events.map((e) => e.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const done = events.at(-1)!.response!;
    expect(done.output[0]!.content[0]!.text).toBe('Hello there');
    expect(done.usage.total_tokens).toBe(5);
  });

  it('marks a reply cut by max_output_tokens as incomplete', () => {
    const f = format();
    const events = f.closing('resp_x', { ...result, finishReason: 'length' }, {}) as { type: string }[];
    expect(events.at(-1)!.type).toBe('response.incomplete');
  });

  it('ends a failed stream with an error event and response.failed', () => {
    const f = format();
    f.opening('resp_y');
    const events = f.failure('resp_y', {
      message: 'worker died',
      type: 'server_error',
      code: 'worker_failed',
      param: null,
    }) as {
      type: string;
      sequence_number: number;
      response?: { status: string; error: { code: string } };
    }[];
    expect(events.map((e) => e.type)).toEqual(['error', 'response.failed']);
    expect(events[0]!.sequence_number).toBe(4);
    expect(events[1]!.response).toMatchObject({ status: 'failed', error: { code: 'worker_failed' } });
  });
});
