import { ResponsesRequestSchema, TokenLogprob, responsesLogprobs } from '@llmp/contracts';
import { ResponsesFormat } from './responses-format';

function format(extra: Record<string, unknown> = {}) {
  const request = ResponsesRequestSchema.parse({ model: 'm', input: 'hi', ...extra });
  return new ResponsesFormat({
    model: 'm',
    request,
    conversationId: null,
    createdAt: 1,
    logprobs: responsesLogprobs(request) !== undefined,
  });
}

const entry = (token: string, logprob: number): TokenLogprob => ({
  token,
  logprob,
  bytes: [...Buffer.from(token)],
  top_logprobs: [{ token, logprob, bytes: [...Buffer.from(token)] }],
});

const result = { text: 'Hello there', finishReason: 'stop' as const, usage: { promptTokens: 3, completionTokens: 2 } };

describe('ResponsesFormat', () => {
  it('numbers the whole stream from 0 and ends with response.completed carrying the text and usage', () => {
    const f = format();
    const events = [
      ...f.opening('resp_abc'),
      ...f.delta('resp_abc', 'Hello'),
      ...f.delta('resp_abc', ' there'),
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

  it('puts the token logprobs on the output text, on each delta and on the done events when asked', () => {
    type Part = { text: string; logprobs: { token: string; logprob: number }[] };
    const whole = format({ top_logprobs: 1 }).response(
      'resp_a',
      { ...result, logprobs: [entry('Hello', -0.1), entry(' there', -0.2)] },
      {},
    ) as { output: { content: Part[] }[]; top_logprobs: number };
    expect(whole.top_logprobs).toBe(1);
    expect(whole.output[0]!.content[0]!.logprobs.map((l) => l.token)).toEqual(['Hello', ' there']);

    const f = format({ include: ['message.output_text.logprobs'] });
    f.opening('resp_b');
    const deltas = [
      f.delta('resp_b', 'Hello', [entry('Hello', -0.1)]).at(-1),
      f.delta('resp_b', ' there', [entry(' there', -0.2)]).at(-1),
    ];
    expect(deltas.map((d) => (d as { logprobs: { token: string }[] }).logprobs.map((l) => l.token))).toEqual([
      ['Hello'],
      [' there'],
    ]);
    // A stream's end carries no entries; the closing events and the final response have those of the deltas.
    const closing = f.closing('resp_b', result, {}) as {
      type: string;
      logprobs?: { token: string }[];
      part?: Part;
      response?: { output: { content: Part[] }[] };
    }[];
    expect(closing[0]!.logprobs!.map((l) => l.token)).toEqual(['Hello', ' there']);
    expect(closing[1]!.part!.logprobs).toHaveLength(2);
    expect(closing.at(-1)!.response!.output[0]!.content[0]!.logprobs).toHaveLength(2);
  });

  it('leaves logprobs empty when not asked, whatever the worker sent', () => {
    const f = format();
    const d = f.delta('resp_c', 'Hello', [entry('Hello', -0.1)]).at(-1) as { logprobs: unknown[] };
    expect(d.logprobs).toEqual([]);
  });

  it('streams text then function calls as their own output items, and the final output agrees', () => {
    const f = format({ tools: [{ type: 'function', name: 'get_time', parameters: { type: 'object' } }] });
    const id = 'resp_t';
    const events = [
      ...f.opening(id),
      ...f.delta(id, 'Let me check.'),
      ...f.toolCall(id, { index: 0, id: 'call_1', name: 'get_time', arguments: '' }),
      ...f.toolCall(id, { index: 0, arguments: '{"tz":' }),
      ...f.toolCall(id, { index: 0, arguments: '"UTC"}' }),
      ...f.closing(
        id,
        {
          ...result,
          text: 'Let me check.',
          finishReason: 'tool_calls',
          toolCalls: [{ id: 'call_1', name: 'get_time', arguments: '{"tz":"UTC"}' }],
        },
        {},
      ),
    ] as {
      type: string;
      output_index?: number;
      arguments?: string;
      response?: { output: { type: string }[]; tools: { strict: boolean }[] };
    }[];
    expect(events.map((e) => e.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(events.find((e) => e.type === 'response.function_call_arguments.done')).toMatchObject({
      output_index: 1,
      arguments: '{"tz":"UTC"}',
    });
    const done = events.at(-1)!.response!;
    expect(done.output.map((o) => o.type)).toEqual(['message', 'function_call']);
    expect(done.tools[0]!.strict).toBe(true);
  });

  it('a reply of calls only has no message item', () => {
    const f = format({ tools: [{ type: 'function', name: 'f' }] });
    const out = f.response(
      'resp_u',
      { ...result, text: '', finishReason: 'tool_calls', toolCalls: [{ id: 'call_9', name: 'f', arguments: '{}' }] },
      {},
    ) as { output: { type: string; call_id: string; id: string }[]; completed_at: number | null };
    expect(out.output).toEqual([expect.objectContaining({ type: 'function_call', call_id: 'call_9', id: 'fc_u_0' })]);
    expect(out.completed_at).toEqual(expect.any(Number));
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
    expect(events[0]!.sequence_number).toBe(2);
    expect(events[1]!.response).toMatchObject({ status: 'failed', error: { code: 'worker_failed' } });
  });

  it('opens with the file_search_call item and its events, then annotates the cited sources before text done', () => {
    const request = ResponsesRequestSchema.parse({
      model: 'm',
      input: 'cats?',
      tools: [{ type: 'file_search', vector_store_ids: ['vs_1'] }],
      include: ['file_search_call.results'],
    });
    const sources = [
      {
        index: 1,
        file_id: 'file-a',
        filename: 'a.txt',
        score: 0.9,
        text: 'A',
        attributes: null,
        vector_store_id: 'vs_1',
      },
    ];
    const f = new ResponsesFormat({
      model: 'm',
      request,
      conversationId: null,
      createdAt: 1,
      fileSearch: { query: 'cats?', sources, includeResults: true },
    });
    const text = 'Cats purr [1].';
    const events = [
      ...f.opening('resp_abc'),
      ...f.delta('resp_abc', text),
      ...f.closing('resp_abc', { ...result, text }, {}),
    ] as {
      type: string;
      output_index?: number;
      annotation?: unknown;
      item?: { type: string; results?: unknown[] | null };
      response?: { output: { type: string; content?: { annotations: unknown[] }[] }[]; tools: unknown[] };
    }[];
    expect(events.map((e) => e.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.file_search_call.in_progress',
      'response.file_search_call.searching',
      'response.file_search_call.completed',
      'response.output_item.done',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.annotation.added',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(events[2]!.item).toMatchObject({ type: 'file_search_call', results: null });
    expect(events[6]!.item!.results).toHaveLength(1);
    expect(events[9]!.output_index).toBe(1);
    const citation = { type: 'file_citation', file_id: 'file-a', filename: 'a.txt', index: text.indexOf('[1]') };
    expect(events[10]!.annotation).toEqual(citation);
    const done = events.at(-1)!.response!;
    expect(done.output.map((o) => o.type)).toEqual(['file_search_call', 'message']);
    expect(done.output[1]!.content![0]!.annotations).toEqual([citation]);
    expect(done.tools).toHaveLength(1);
  });

  describe('the Open Responses details', () => {
    const cut = { ...result, finishReason: 'length' as const };
    type Item = { type: string; status: string };

    it('marks the last item of a cut-off reply incomplete, whole and streamed', () => {
      const whole = format().response('resp_c', cut, {}) as { status: string; output: Item[] };
      expect(whole.status).toBe('incomplete');
      expect(whole.output.map((o) => o.status)).toEqual(['incomplete']);
      const calls = format().response(
        'resp_c',
        {
          ...cut,
          text: '',
          toolCalls: [
            { id: 'call_1', name: 'f', arguments: '{}' },
            { id: 'call_2', name: 'f', arguments: '{' },
          ],
        },
        {},
      ) as { output: Item[] };
      expect(calls.output.map((o) => o.status)).toEqual(['completed', 'incomplete']);
      const f = format();
      const events = [...f.opening('resp_c'), ...f.delta('resp_c', 'Hel'), ...f.closing('resp_c', cut, {})] as {
        type: string;
        item?: Item;
      }[];
      expect(events.find((e) => e.type === 'response.output_item.done')!.item!.status).toBe('incomplete');
      expect(events.at(-1)!.type).toBe('response.incomplete');
      expect(f.doneMarker).toBe(true);
    });

    it("nests the error event's fields in `error` as well", () => {
      const [error] = format().failure('resp_e', {
        message: 'boom',
        type: 'server_error',
        code: 'worker_failed',
        param: null,
      }) as Record<string, unknown>[];
      expect(error).toMatchObject({
        type: 'error',
        code: 'worker_failed',
        message: 'boom',
        error: { type: 'server_error', code: 'worker_failed', message: 'boom', param: null },
      });
    });

    it('echoes a json_schema text format with description and strict', () => {
      const schema = { type: 'object', properties: {} };
      const r = format({ text: { format: { type: 'json_schema', name: 'x', schema } } }).response(
        'resp_f',
        result,
        {},
      ) as {
        text: { format: unknown };
      };
      expect(r.text.format).toEqual({ type: 'json_schema', name: 'x', schema, description: null, strict: true });
    });
  });
});
