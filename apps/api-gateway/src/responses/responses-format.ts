import type {
  FileCitationAnnotation,
  FileSearchCallItem,
  GenerationResult,
  ResponsesRequest,
  RetrievalSource,
  TokenLogprob,
} from '@llmp/contracts';
import type { CompletionFormat, StreamFailure, ToolCallFragment } from '../generation/completion-runner.service';
import { citations } from '../generation/grounding';
import { toResponsesLogprobs } from '../generation/openai-logprobs';

/** A `file_search` tool call made before generation: its query, what it found, and whether results are shown. */
export interface FileSearchCall {
  query: string;
  sources: RetrievalSource[];
  /** `include: ['file_search_call.results']`. */
  includeResults: boolean;
}

export interface ResponseSettings {
  model: string;
  request: ResponsesRequest;
  conversationId: string | null;
  createdAt: number;
  /** Whether the request asked for logprobs (`top_logprobs` > 0 or `include` message.output_text.logprobs). */
  logprobs?: boolean;
  /** The `file_search` call, when the request had the tool: its item comes first in the output. */
  fileSearch?: FileSearchCall;
}

/** One output item of a stream, in output order. */
type StreamItem = { index: number; closed?: boolean } & (
  { kind: 'message' } | { kind: 'call'; call: number; callId: string; name: string; args: string }
);

/**
 * Renders a generation as OpenAI's Responses API: the response object, or the documented SSE sequence, each event
 * numbered: response.created → in_progress → then each output item as it starts: a message (output_item.added →
 * content_part.added → output_text.delta* → output_text.done → content_part.done → output_item.done) or a
 * function call (output_item.added → function_call_arguments.delta* → function_call_arguments.done →
 * output_item.done) → response.completed. Items open when their first text or call fragment arrives, so a reply
 * that only calls functions has no message. With a `file_search` call, its item is output 0: the stream opens
 * with the call's output_item.added → file_search_call.in_progress → .searching → .completed → output_item.done
 * (the search ran before the stream opened, so that a bad vector store id is a real HTTP 404), and the message's
 * `output_text.annotation.added` events come before its output_text.done.
 * One instance serves one request (it holds the sequence counter and the open items).
 */
export class ResponsesFormat implements CompletionFormat {
  // The Open Responses spec ends a stream with `data: [DONE]`; OpenAI's SDKs skip it.
  readonly doneMarker = true;
  readonly namedEvents = true;
  private sequence = 0;
  private text = '';
  /** A stream's entries so far, for the closing events and the stored response. */
  private readonly streamed: TokenLogprob[] = [];
  /** The sources the model saw (the worker may drop some to fit): the ones citations may name. */
  private seen: RetrievalSource[];
  private readonly items: StreamItem[] = [];

  constructor(private readonly s: ResponseSettings) {
    this.seen = s.fileSearch?.sources ?? [];
  }

  /** Narrows the citable sources to those the prompt kept. */
  keepSources(kept: RetrievalSource[]): void {
    this.seen = kept;
  }

  /** The file_search_call item's id, derived from the response id as the message's is. */
  fileSearchId(id: string): string {
    return `fs_${id.slice('resp_'.length)}`;
  }

  /** The output message's id: derived from the response id so stored and streamed objects agree. */
  messageId(id: string): string {
    return `msg_${id.slice('resp_'.length)}`;
  }

  /** The `n`th function call item's id. */
  callItemId(id: string, n: number): string {
    return `fc_${id.slice('resp_'.length)}_${n}`;
  }

  private get firstIndex(): number {
    return this.s.fileSearch ? 1 : 0;
  }

  object(id: string, status: 'in_progress' | 'completed' | 'incomplete', result: GenerationResult | null) {
    const r = this.s.request;
    return {
      id,
      object: 'response',
      created_at: this.s.createdAt,
      status,
      background: false,
      completed_at: status === 'in_progress' ? null : Math.floor(Date.now() / 1000),
      error: null,
      incomplete_details: status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
      instructions: r.instructions ?? null,
      max_output_tokens: r.max_output_tokens ?? null,
      max_tool_calls: null,
      model: this.s.model,
      output: result ? this.output(id, result) : [],
      parallel_tool_calls: r.parallel_tool_calls ?? true,
      previous_response_id: r.previous_response_id ?? null,
      conversation: this.s.conversationId ? { id: this.s.conversationId } : null,
      prompt_cache_key: null,
      reasoning: { effort: null, summary: null },
      safety_identifier: null,
      service_tier: 'default',
      store: r.store ?? true,
      temperature: r.temperature ?? 1,
      top_p: r.top_p ?? 1,
      presence_penalty: r.presence_penalty ?? 0,
      frequency_penalty: r.frequency_penalty ?? 0,
      top_logprobs: r.top_logprobs ?? 0,
      truncation: 'disabled',
      tool_choice: r.tool_choice ?? 'auto',
      tools: (r.tools ?? []).map((t) =>
        t.type === 'function'
          ? {
              type: 'function',
              name: t.name,
              description: t.description ?? null,
              parameters: t.parameters ?? null,
              strict: t.strict ?? true,
            }
          : t,
      ),
      text: { format: echoFormat(r.text?.format), verbosity: 'medium' },
      user: r.user ?? null,
      metadata: r.metadata ?? {},
      usage: result
        ? {
            input_tokens: result.usage.promptTokens,
            input_tokens_details: { cached_tokens: 0 },
            output_tokens: result.usage.completionTokens,
            output_tokens_details: { reasoning_tokens: 0 },
            total_tokens: result.usage.promptTokens + result.usage.completionTokens,
          }
        : null,
    };
  }

  /** The output items: the file search, the message (when there is text, or nothing else), then each call. */
  private output(id: string, result: GenerationResult): unknown[] {
    const calls = result.toolCalls ?? [];
    // A reply cut off by max_output_tokens leaves its last item incomplete (Open Responses: item status).
    const last = statusOf(result);
    return [
      ...(this.s.fileSearch ? [this.fileSearchItem(id, 'completed')] : []),
      ...(result.text !== '' || !calls.length
        ? [this.message(id, calls.length ? 'completed' : last, result.text, this.entries(result))]
        : []),
      ...calls.map((c, n) =>
        this.callItem(id, n, n === calls.length - 1 ? last : 'completed', c.id, c.name, c.arguments),
      ),
    ];
  }

  response(id: string, result: GenerationResult, extra: Record<string, unknown>) {
    return { ...this.object(id, statusOf(result), result), ...extra };
  }

  opening(id: string): unknown[] {
    const inProgress = this.object(id, 'in_progress', null);
    const search: unknown[] = [];
    if (this.s.fileSearch) {
      const where = { output_index: 0, item_id: this.fileSearchId(id) };
      search.push(
        this.event('response.output_item.added', { output_index: 0, item: this.fileSearchItem(id, 'in_progress') }),
        this.event('response.file_search_call.in_progress', where),
        this.event('response.file_search_call.searching', where),
        this.event('response.file_search_call.completed', where),
        this.event('response.output_item.done', { output_index: 0, item: this.fileSearchItem(id, 'completed') }),
      );
    }
    return [
      this.event('response.created', { response: inProgress }),
      this.event('response.in_progress', { response: inProgress }),
      ...search,
    ];
  }

  delta(id: string, text: string, logprobs?: TokenLogprob[]): unknown[] {
    if (!text && !logprobs?.length) return [];
    const events = this.current?.kind === 'message' ? [] : this.openMessage(id);
    const message = this.current!;
    this.text += text;
    if (this.s.logprobs && logprobs) this.streamed.push(...logprobs);
    events.push(
      this.event('response.output_text.delta', {
        item_id: this.messageId(id),
        output_index: message.index,
        content_index: 0,
        delta: text,
        logprobs: this.s.logprobs ? toResponsesLogprobs(logprobs) : [],
      }),
    );
    return events;
  }

  toolCall(id: string, fragment: ToolCallFragment): unknown[] {
    const events: unknown[] = [];
    if (fragment.id && fragment.name) {
      events.push(...this.closeCurrent(id));
      const item: StreamItem = {
        kind: 'call',
        index: this.firstIndex + this.items.length,
        call: fragment.index,
        callId: fragment.id,
        name: fragment.name,
        args: '',
      };
      this.items.push(item);
      events.push(
        this.event('response.output_item.added', {
          output_index: item.index,
          item: this.callItem(id, item.call, 'in_progress', item.callId, item.name, ''),
        }),
      );
    }
    const call = this.current;
    if (call?.kind === 'call' && fragment.arguments) {
      call.args += fragment.arguments;
      events.push(
        this.event('response.function_call_arguments.delta', {
          item_id: this.callItemId(id, call.call),
          output_index: call.index,
          delta: fragment.arguments,
        }),
      );
    }
    return events;
  }

  closing(id: string, result: GenerationResult, extra: Record<string, unknown>): unknown[] {
    const events = this.closeCurrent(id, result);
    // A reply with neither text nor calls still has its (empty) message.
    if (!this.items.length) events.push(...this.openMessage(id), ...this.closeCurrent(id, result));
    events.push(
      this.event(statusOf(result) === 'completed' ? 'response.completed' : 'response.incomplete', {
        response: this.response(id, result, extra),
      }),
    );
    return events;
  }

  usage(): unknown {
    return null;
  }

  /** OpenAI's failure sequence: an `error` event, then `response.failed` with the response's error. */
  failure(id: string, error: StreamFailure): unknown[] {
    const failed = {
      ...this.object(id, 'in_progress', null),
      status: 'failed',
      error: { code: error.code, message: error.message },
    };
    return [
      // OpenAI's clients read the flat fields; the Open Responses spec nests them in `error`.
      this.event('error', {
        code: error.code,
        message: error.message,
        param: error.param,
        error: { type: error.type, code: error.code, message: error.message, param: error.param },
      }),
      this.event('response.failed', { response: failed }),
    ];
  }

  private get current(): StreamItem | undefined {
    return this.items[this.items.length - 1];
  }

  private openMessage(id: string): unknown[] {
    const events = this.closeCurrent(id);
    const item: StreamItem = { kind: 'message', index: this.firstIndex + this.items.length };
    this.items.push(item);
    events.push(
      this.event('response.output_item.added', {
        output_index: item.index,
        item: { ...this.message(id, 'in_progress', ''), content: [] },
      }),
      this.event('response.content_part.added', {
        item_id: this.messageId(id),
        output_index: item.index,
        content_index: 0,
        part: { type: 'output_text', text: '', annotations: [], logprobs: [] },
      }),
    );
    return events;
  }

  /**
   * Ends the open item; a message ends once (later text would reopen none: the model's text comes first). With
   * the result (the stream's end), the item is the last one, incomplete when the reply was cut off.
   */
  private closeCurrent(id: string, result?: GenerationResult): unknown[] {
    const item = this.current;
    if (!item || item.closed) return [];
    item.closed = true;
    const status = result ? statusOf(result) : 'completed';
    if (item.kind === 'call') {
      const done = this.callItem(id, item.call, status, item.callId, item.name, item.args);
      return [
        this.event('response.function_call_arguments.done', {
          item_id: done.id,
          output_index: item.index,
          name: item.name,
          arguments: item.args,
        }),
        this.event('response.output_item.done', { output_index: item.index, item: done }),
      ];
    }
    const text = this.text;
    const entries = result ? this.entries(result) : this.streamed;
    const logprobs = this.s.logprobs ? toResponsesLogprobs(entries) : [];
    const annotations = this.annotations(text);
    const part = { type: 'output_text', text, annotations, logprobs };
    const where = { item_id: this.messageId(id), output_index: item.index, content_index: 0 };
    return [
      ...annotations.map((annotation, i) =>
        this.event('response.output_text.annotation.added', { ...where, annotation_index: i, annotation }),
      ),
      this.event('response.output_text.done', { ...where, text, logprobs }),
      this.event('response.content_part.done', { ...where, part }),
      this.event('response.output_item.done', {
        output_index: item.index,
        item: this.message(id, status, text, entries),
      }),
    ];
  }

  /** The reply's token entries: a whole response's, or (a stream's end carries none) those its deltas had. */
  private entries(result: GenerationResult): TokenLogprob[] {
    return result.logprobs ?? this.streamed;
  }

  private message(id: string, status: ItemStatus, text: string, entries?: TokenLogprob[]) {
    const logprobs = this.s.logprobs ? toResponsesLogprobs(entries) : [];
    return {
      id: this.messageId(id),
      type: 'message',
      status,
      role: 'assistant',
      content: [{ type: 'output_text', text, annotations: this.annotations(text), logprobs }],
    };
  }

  private callItem(id: string, n: number, status: ItemStatus, callId: string, name: string, args: string) {
    return { id: this.callItemId(id, n), type: 'function_call', status, call_id: callId, name, arguments: args };
  }

  private annotations(text: string): FileCitationAnnotation[] {
    return this.s.fileSearch ? citations(text, this.seen) : [];
  }

  private fileSearchItem(id: string, status: 'in_progress' | 'completed'): FileSearchCallItem {
    const call = this.s.fileSearch!;
    const done = status === 'completed';
    return {
      id: this.fileSearchId(id),
      type: 'file_search_call',
      status,
      queries: [call.query],
      results:
        done && call.includeResults
          ? call.sources.map((s) => ({
              file_id: s.file_id,
              filename: s.filename,
              score: s.score,
              text: s.text,
              attributes: s.attributes,
            }))
          : null,
    };
  }

  private event(type: string, body: Record<string, unknown>) {
    return { type, sequence_number: this.sequence++, ...body };
  }
}

type ItemStatus = 'in_progress' | 'completed' | 'incomplete';

/**
 * `text.format` as the response echoes it: a json_schema format with every field the standard lists (`strict`
 * true when not given: the grammar enforces the schema either way).
 */
function echoFormat(format: NonNullable<ResponsesRequest['text']>['format'] | undefined) {
  if (!format) return { type: 'text' };
  if (format.type !== 'json_schema') return format;
  return { ...format, description: format.description ?? null, strict: format.strict ?? true };
}

function statusOf(result: GenerationResult): 'completed' | 'incomplete' {
  return result.finishReason === 'length' ? 'incomplete' : 'completed';
}
