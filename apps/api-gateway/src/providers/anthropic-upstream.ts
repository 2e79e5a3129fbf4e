import Anthropic from '@anthropic-ai/sdk';
import type { ChatCompleteV1Payload, ChatMessage, FinishReason } from '@llmp/contracts';
import type { RemoteModelDefinition } from '@llmp/platform';
import { GenerationFold, UpstreamClients, foldStream } from './upstream-adapter';
import type { UpstreamAdapter, UpstreamEvent, UpstreamStream } from './upstream-adapter';

type MessageParam = Anthropic.MessageParam;
type Block = Anthropic.ContentBlockParam;

/**
 * A chat job as an Anthropic Messages request: system messages become `system`; an assistant's calls become
 * `tool_use` blocks and tool messages `tool_result` blocks of the next user turn; consecutive turns of one role are
 * merged (the API wants them alternating). `max_tokens` is required there: the model's default fills it in.
 */
export function anthropicRequest(
  m: RemoteModelDefinition,
  p: ChatCompleteV1Payload,
): Anthropic.MessageCreateParamsStreaming {
  const system = p.messages
    .filter((x) => x.role === 'system')
    .map((x) => x.content)
    .join('\n\n');
  const messages: MessageParam[] = [];
  const push = (role: 'user' | 'assistant', blocks: Block[]) => {
    if (!blocks.length) return;
    const last = messages[messages.length - 1];
    if (last?.role === role) (last.content as Block[]).push(...blocks);
    else messages.push({ role, content: blocks });
  };
  for (const msg of p.messages) push(...turn(msg));
  const s = p.sampling;
  const tools = p.tools?.length ? p.tools : undefined;
  return {
    model: m.upstream_model,
    max_tokens: s.maxTokens ?? m.default_max_tokens,
    messages,
    stream: true,
    ...(system ? { system } : {}),
    ...(s.temperature !== undefined ? { temperature: Math.min(1, s.temperature) } : {}),
    ...(s.topP !== undefined ? { top_p: s.topP } : {}),
    ...(s.stop.length ? { stop_sequences: s.stop } : {}),
    ...(tools
      ? {
          tools: tools.map((t) => ({
            name: t.name,
            ...(t.description ? { description: t.description } : {}),
            input_schema: (t.parameters ?? { type: 'object', properties: {} }) as Anthropic.Tool.InputSchema,
          })),
          tool_choice: {
            type: p.toolChoice === 'required' ? ('any' as const) : ('auto' as const),
            disable_parallel_tool_use: !p.parallelToolCalls,
          },
        }
      : {}),
  };
}

function turn(msg: ChatMessage): ['user' | 'assistant', Block[]] {
  switch (msg.role) {
    case 'system':
      return ['user', []];
    case 'user':
      return ['user', msg.content ? [{ type: 'text', text: msg.content }] : []];
    case 'tool':
      return ['user', [{ type: 'tool_result', tool_use_id: msg.toolCallId ?? '', content: msg.content }]];
    case 'assistant':
      return [
        'assistant',
        [
          ...(msg.content ? [{ type: 'text' as const, text: msg.content }] : []),
          ...(msg.toolCalls ?? []).map((c) => ({
            type: 'tool_use' as const,
            id: c.id,
            name: c.name,
            input: parseObject(c.arguments),
          })),
        ],
      ];
  }
}

function parseObject(text: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : { value: v };
  } catch {
    return { value: text };
  }
}

const STOP: Record<string, FinishReason> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  max_tokens: 'length',
  tool_use: 'tool_calls',
  pause_turn: 'stop',
  refusal: 'stop',
};

/** Folds the Messages stream's typed events into the job's events and result. */
export class AnthropicAccumulator extends GenerationFold {
  /** Content block index → call index (text blocks have none). */
  private readonly callOf = new Map<number, number>();

  add(ev: Anthropic.RawMessageStreamEvent): UpstreamEvent[] {
    switch (ev.type) {
      case 'message_start':
        this.usage.promptTokens = ev.message.usage.input_tokens;
        this.usage.completionTokens = ev.message.usage.output_tokens;
        return [];
      case 'content_block_start': {
        if (ev.content_block.type !== 'tool_use') return [];
        const index = this.calls.length;
        this.callOf.set(ev.index, index);
        this.calls.push({ id: ev.content_block.id, name: ev.content_block.name, arguments: '' });
        return [{ type: 'tool_call', index, id: ev.content_block.id, name: ev.content_block.name, arguments: '' }];
      }
      case 'content_block_delta':
        if (ev.delta.type === 'text_delta') {
          this.text += ev.delta.text;
          return ev.delta.text ? [{ type: 'delta', text: ev.delta.text }] : [];
        }
        if (ev.delta.type === 'input_json_delta') {
          const index = this.callOf.get(ev.index);
          if (index === undefined) return [];
          this.calls[index]!.arguments += ev.delta.partial_json;
          return [{ type: 'tool_call', index, arguments: ev.delta.partial_json }];
        }
        return [];
      case 'message_delta':
        if (ev.delta.stop_reason) this.finish = STOP[ev.delta.stop_reason] ?? 'stop';
        this.usage.completionTokens = ev.usage.output_tokens;
        if (ev.usage.input_tokens != null) this.usage.promptTokens = ev.usage.input_tokens;
        return [];
      case 'content_block_stop':
      case 'message_stop':
        return [];
    }
  }
}

/** Anthropic's Messages API over the official SDK (retries with back-off, Retry-After honoured). */
export class AnthropicAdapter implements UpstreamAdapter {
  private readonly clients = new UpstreamClients((opts) => new Anthropic(opts));

  request(m: RemoteModelDefinition, p: ChatCompleteV1Payload) {
    return anthropicRequest(m, p);
  }

  async open(
    m: RemoteModelDefinition,
    endpoint: RemoteModelDefinition['endpoints'][number],
    apiKey: string | undefined,
    p: ChatCompleteV1Payload,
    signal: AbortSignal,
  ): Promise<UpstreamStream> {
    const client = this.clients.get(m, endpoint.base_url, apiKey);
    const stream = await client.messages.create(this.request(m, p), { signal });
    const acc = new AnthropicAccumulator();
    return foldStream(
      stream,
      (ev) => acc.add(ev),
      () => acc.result(),
    );
  }
}
