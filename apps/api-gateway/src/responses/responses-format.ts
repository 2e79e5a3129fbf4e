import type {
  FileCitationAnnotation,
  FileSearchCallItem,
  GenerationResult,
  ResponsesRequest,
  RetrievalSource,
  TokenLogprob,
} from '@llmp/contracts';
import type { CompletionFormat, StreamFailure } from '../generation/completion-runner.service';
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

/**
 * Renders a generation as OpenAI's Responses API: the response object, or the documented SSE sequence
 * (response.created → in_progress → output_item.added → content_part.added → output_text.delta* →
 * output_text.done → content_part.done → output_item.done → response.completed), each event numbered.
 * With a `file_search` call, its item is output 0 and the message output 1: the stream opens with the call's
 * output_item.added → file_search_call.in_progress → .searching → .completed → output_item.done (the search ran
 * before the stream opened, so that a bad vector store id is a real HTTP 404), and the message's
 * `output_text.annotation.added` events come before its output_text.done.
 * One instance serves one request (it holds the sequence counter and the output item id).
 */
export class ResponsesFormat implements CompletionFormat {
  readonly doneMarker = false;
  private sequence = 0;
  private text = '';
  /** A stream's entries so far, for the closing events and the stored response. */
  private readonly streamed: TokenLogprob[] = [];
  /** The sources the model saw (the worker may drop some to fit): the ones citations may name. */
  private seen: RetrievalSource[];

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

  /** The message's place in `output`: after the file_search_call item when there is one. */
  private get messageIndex(): number {
    return this.s.fileSearch ? 1 : 0;
  }

  /** The output message's id: derived from the response id so stored and streamed objects agree. */
  messageId(id: string): string {
    return `msg_${id.slice('resp_'.length)}`;
  }

  object(id: string, status: 'in_progress' | 'completed' | 'incomplete', result: GenerationResult | null) {
    const r = this.s.request;
    return {
      id,
      object: 'response',
      created_at: this.s.createdAt,
      status,
      error: null,
      incomplete_details: status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
      instructions: r.instructions ?? null,
      max_output_tokens: r.max_output_tokens ?? null,
      model: this.s.model,
      output: result
        ? [
            ...(this.s.fileSearch ? [this.fileSearchItem(id, 'completed')] : []),
            this.message(id, 'completed', result.text, this.entries(result)),
          ]
        : [],
      parallel_tool_calls: r.parallel_tool_calls ?? true,
      previous_response_id: r.previous_response_id ?? null,
      conversation: this.s.conversationId ? { id: this.s.conversationId } : null,
      store: r.store ?? true,
      temperature: r.temperature ?? 1,
      top_p: r.top_p ?? 1,
      top_logprobs: r.top_logprobs ?? 0,
      tool_choice: r.tool_choice ?? 'auto',
      tools: r.tools ?? [],
      text: { format: r.text?.format ?? { type: 'text' } },
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

  response(id: string, result: GenerationResult, extra: Record<string, unknown>) {
    return { ...this.object(id, statusOf(result), result), ...extra };
  }

  opening(id: string): unknown[] {
    const inProgress = this.object(id, 'in_progress', null);
    const item = { ...this.message(id, 'in_progress', ''), content: [] };
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
      this.event('response.output_item.added', { output_index: this.messageIndex, item }),
      this.event('response.content_part.added', {
        item_id: this.messageId(id),
        output_index: this.messageIndex,
        content_index: 0,
        part: { type: 'output_text', text: '', annotations: [] },
      }),
    ];
  }

  delta(id: string, text: string, logprobs?: TokenLogprob[]): unknown {
    this.text += text;
    if (this.s.logprobs && logprobs) this.streamed.push(...logprobs);
    return this.event('response.output_text.delta', {
      item_id: this.messageId(id),
      output_index: this.messageIndex,
      content_index: 0,
      delta: text,
      logprobs: this.s.logprobs ? toResponsesLogprobs(logprobs) : [],
    });
  }

  closing(id: string, result: GenerationResult, extra: Record<string, unknown>): unknown[] {
    const logprobs = this.s.logprobs ? toResponsesLogprobs(this.entries(result)) : [];
    const annotations = this.annotations(result.text);
    const part = { type: 'output_text', text: result.text, annotations, logprobs };
    const where = { item_id: this.messageId(id), output_index: this.messageIndex, content_index: 0 };
    return [
      ...annotations.map((annotation, i) =>
        this.event('response.output_text.annotation.added', { ...where, annotation_index: i, annotation }),
      ),
      this.event('response.output_text.done', { ...where, text: result.text, logprobs }),
      this.event('response.content_part.done', { ...where, part }),
      this.event('response.output_item.done', {
        output_index: this.messageIndex,
        item: this.message(id, 'completed', result.text, this.entries(result)),
      }),
      this.event(statusOf(result) === 'completed' ? 'response.completed' : 'response.incomplete', {
        response: this.response(id, result, extra),
      }),
    ];
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
      this.event('error', { code: error.code, message: error.message, param: error.param }),
      this.event('response.failed', { response: failed }),
    ];
  }

  /** The reply's token entries: a whole response's, or (a stream's end carries none) those its deltas had. */
  private entries(result: GenerationResult): TokenLogprob[] {
    return result.logprobs ?? this.streamed;
  }

  private message(id: string, status: 'in_progress' | 'completed', text: string, entries?: TokenLogprob[]) {
    const logprobs = this.s.logprobs ? toResponsesLogprobs(entries) : [];
    return {
      id: this.messageId(id),
      type: 'message',
      status,
      role: 'assistant',
      content: [{ type: 'output_text', text, annotations: this.annotations(text), logprobs }],
    };
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

function statusOf(result: GenerationResult): 'completed' | 'incomplete' {
  return result.finishReason === 'length' ? 'incomplete' : 'completed';
}
