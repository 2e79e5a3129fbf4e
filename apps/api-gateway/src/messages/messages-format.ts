import {
  AnthropicContentBlock,
  AnthropicMessage,
  AnthropicStopReason,
  AnthropicStreamEvent,
  AnthropicUsage,
  GenerationResult,
  MessageTokensCount,
} from '@llmp/contracts';
import { API_ERROR_TABLE, ApiErrorCode } from '@llmp/platform';
import type {
  CompletionFormat,
  StartEvent,
  StreamFailure,
  ToolCallFragment,
} from '../generation/completion-runner.service';
import { anthropicStatus } from './anthropic-error.filter';
import { toolUseId } from './messages-request';

/** One content block of a stream, in order. */
interface StreamBlock {
  index: number;
  kind: 'text' | 'tool_use';
  closed: boolean;
}

/**
 * Renders a generation as Anthropic's Messages API: the message object, or the typed event sequence, each event
 * with its `event:` line and no `[DONE]`: message_start → for each content block as it starts, content_block_start →
 * content_block_delta* (`text_delta`, or `input_json_delta` with the tool input's JSON fragments) →
 * content_block_stop → message_delta (stop_reason, stop_sequence, usage) → message_stop. Blocks open when their
 * first text or call fragment arrives, so a reply of calls only has no text block (and a reply of nothing has one
 * empty text block, as its message does). A failure ends the stream with an `error` event in Anthropic's shape.
 * One instance serves one request (it holds the open blocks).
 */
export class MessagesFormat implements CompletionFormat {
  readonly doneMarker = false;
  readonly namedEvents = true;
  private readonly blocks: StreamBlock[] = [];
  private inputTokens = 0;

  constructor(private readonly model: string) {}

  response(id: string, result: GenerationResult, extra: Record<string, unknown>): AnthropicMessage {
    const calls = result.toolCalls ?? [];
    const content: AnthropicContentBlock[] = [
      ...(result.text !== '' || !calls.length ? [{ type: 'text' as const, text: result.text }] : []),
      ...calls.map((c) => ({
        type: 'tool_use' as const,
        id: toolUseId(c.id),
        name: c.name,
        input: c.arguments === '' ? {} : (JSON.parse(c.arguments) as unknown),
      })),
    ];
    return { ...this.message(id, content, result), ...extra };
  }

  opening(id: string, start?: StartEvent): AnthropicStreamEvent[] {
    this.inputTokens = start?.promptTokens ?? 0;
    return [{ type: 'message_start', message: this.message(id, [], null) }];
  }

  delta(_id: string, text: string): AnthropicStreamEvent[] {
    if (!text) return [];
    const current = this.current;
    const events = current?.kind === 'text' && !current.closed ? [] : this.open({ type: 'text', text: '' });
    events.push({ type: 'content_block_delta', index: this.current!.index, delta: { type: 'text_delta', text } });
    return events;
  }

  toolCall(_id: string, fragment: ToolCallFragment): AnthropicStreamEvent[] {
    const events: AnthropicStreamEvent[] = [];
    if (fragment.id && fragment.name) {
      events.push(...this.open({ type: 'tool_use', id: toolUseId(fragment.id), name: fragment.name, input: {} }));
    }
    const current = this.current;
    if (current?.kind === 'tool_use' && !current.closed && fragment.arguments) {
      events.push({
        type: 'content_block_delta',
        index: current.index,
        delta: { type: 'input_json_delta', partial_json: fragment.arguments },
      });
    }
    return events;
  }

  closing(id: string, result: GenerationResult): AnthropicStreamEvent[] {
    const events = this.closeCurrent();
    if (!this.blocks.length) events.push(...this.open({ type: 'text', text: '' }), ...this.closeCurrent());
    const { stop_reason, stop_sequence } = stopOf(result);
    events.push(
      { type: 'message_delta', delta: { stop_reason, stop_sequence }, usage: this.usageOf(result) },
      { type: 'message_stop' },
    );
    return events;
  }

  /** Chat Completions' separate usage chunk: none here (usage rides on message_start and message_delta). */
  usage(): null {
    return null;
  }

  private usageOf(result: GenerationResult | null): AnthropicUsage {
    return {
      input_tokens: result?.usage.promptTokens ?? this.inputTokens,
      output_tokens: result?.usage.completionTokens ?? 0,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
    };
  }

  /** Anthropic's mid-stream failure: one `error` event with the error's Anthropic type. */
  failure(_id: string, error: StreamFailure): AnthropicStreamEvent[] {
    const status = API_ERROR_TABLE[error.code as ApiErrorCode]?.status ?? 500;
    return [{ type: 'error', error: { type: anthropicStatus(status, error.code).type, message: error.message } }];
  }

  /** `count_tokens`: the prompt's exact token count, as the model's tokenizer counted it. */
  dryRun(start: StartEvent): MessageTokensCount {
    return { input_tokens: start.promptTokens };
  }

  private message(id: string, content: AnthropicContentBlock[], result: GenerationResult | null): AnthropicMessage {
    const stop = result ? stopOf(result) : { stop_reason: null, stop_sequence: null };
    return {
      id,
      type: 'message',
      role: 'assistant',
      model: this.model,
      content,
      ...stop,
      usage: this.usageOf(result),
    };
  }

  private get current(): StreamBlock | undefined {
    return this.blocks[this.blocks.length - 1];
  }

  private open(block: AnthropicContentBlock): AnthropicStreamEvent[] {
    const events = this.closeCurrent();
    const opened: StreamBlock = { index: this.blocks.length, kind: block.type, closed: false };
    this.blocks.push(opened);
    events.push({ type: 'content_block_start', index: opened.index, content_block: block });
    return events;
  }

  private closeCurrent(): AnthropicStreamEvent[] {
    const block = this.current;
    if (!block || block.closed) return [];
    block.closed = true;
    return [{ type: 'content_block_stop', index: block.index }];
  }
}

function stopOf(r: GenerationResult): { stop_reason: AnthropicStopReason; stop_sequence: string | null } {
  switch (r.finishReason) {
    case 'tool_calls':
      return { stop_reason: 'tool_use', stop_sequence: null };
    case 'length':
      return { stop_reason: 'max_tokens', stop_sequence: null };
    case 'stop':
    case 'cancelled':
      return r.stopSequence !== undefined
        ? { stop_reason: 'stop_sequence', stop_sequence: r.stopSequence }
        : { stop_reason: 'end_turn', stop_sequence: null };
  }
}
