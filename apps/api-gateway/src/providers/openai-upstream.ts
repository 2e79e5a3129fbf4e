import OpenAI from 'openai';
import type { ChatCompleteV1Payload, ChatMessage, FinishReason } from '@llmp/contracts';
import type { RemoteModelDefinition } from '@llmp/platform';
import { GenerationFold, UpstreamClients, foldStream } from './upstream-adapter';
import type { UpstreamAdapter, UpstreamEvent, UpstreamStream } from './upstream-adapter';

type UpstreamRequest = OpenAI.Chat.ChatCompletionCreateParamsStreaming;
type UpstreamMessage = OpenAI.Chat.ChatCompletionMessageParam;

/**
 * A chat job as an OpenAI Chat Completions request for an OpenAI-compatible upstream: always streamed with usage,
 * so one path serves streaming and whole responses, and the first token is what tells a working upstream.
 */
export function upstreamChatRequest(model: string, p: ChatCompleteV1Payload): UpstreamRequest {
  const s = p.sampling;
  const tools = p.tools?.length ? p.tools : undefined;
  return {
    model,
    messages: p.messages.map(upstreamMessage),
    stream: true,
    stream_options: { include_usage: true },
    ...(s.maxTokens !== undefined ? { max_tokens: s.maxTokens } : {}),
    ...(s.temperature !== undefined ? { temperature: s.temperature } : {}),
    ...(s.topP !== undefined ? { top_p: s.topP } : {}),
    ...(s.seed !== undefined ? { seed: s.seed } : {}),
    ...(s.stop.length ? { stop: s.stop } : {}),
    ...(s.frequencyPenalty !== undefined ? { frequency_penalty: s.frequencyPenalty } : {}),
    ...(s.presencePenalty !== undefined ? { presence_penalty: s.presencePenalty } : {}),
    ...(tools
      ? {
          tools: tools.map((t) => ({
            type: 'function' as const,
            function: {
              name: t.name,
              ...(t.description ? { description: t.description } : {}),
              parameters: t.parameters ?? { type: 'object', properties: {} },
            },
          })),
          tool_choice: p.toolChoice,
          parallel_tool_calls: p.parallelToolCalls,
        }
      : {}),
    ...(p.responseFormat
      ? {
          response_format:
            p.responseFormat.type === 'json_object'
              ? { type: 'json_object' as const }
              : {
                  type: 'json_schema' as const,
                  json_schema: { name: 'response', schema: p.responseFormat.schema, strict: true },
                },
        }
      : {}),
  };
}

function upstreamMessage(m: ChatMessage): UpstreamMessage {
  switch (m.role) {
    case 'tool':
      return { role: 'tool', content: m.content, tool_call_id: m.toolCallId ?? '' };
    case 'assistant':
      return {
        role: 'assistant',
        content: m.content || (m.toolCalls?.length ? null : ''),
        ...(m.toolCalls?.length
          ? {
              tool_calls: m.toolCalls.map((c) => ({
                id: c.id,
                type: 'function' as const,
                function: { name: c.name, arguments: c.arguments },
              })),
            }
          : {}),
      };
    case 'system':
    case 'user':
      return { role: m.role, content: m.content };
  }
}

const FINISH: Record<string, FinishReason> = {
  stop: 'stop',
  length: 'length',
  tool_calls: 'tool_calls',
  function_call: 'tool_calls',
  content_filter: 'stop',
};

/**
 * Folds an upstream's chunks into the job's events: text deltas, call fragments (OpenAI's own `delta.tool_calls`
 * shape, so they pass through as they are) and, at the end, the whole result with the upstream's usage.
 */
export class UpstreamAccumulator extends GenerationFold {
  /** The events one chunk makes: `{text}` deltas and call fragments. */
  add(
    chunk: OpenAI.Chat.ChatCompletionChunk,
  ): (
    | { type: 'delta'; text: string }
    | { type: 'tool_call'; index: number; id?: string; name?: string; arguments: string }
  )[] {
    if (chunk.usage) {
      this.usage = { promptTokens: chunk.usage.prompt_tokens, completionTokens: chunk.usage.completion_tokens };
    }
    const choice = chunk.choices?.[0];
    if (!choice) return [];
    if (choice.finish_reason) this.finish = FINISH[choice.finish_reason] ?? 'stop';
    const out: UpstreamEvent[] = [];
    const text = choice.delta?.content;
    if (text) {
      this.text += text;
      out.push({ type: 'delta', text });
    }
    for (const tc of choice.delta?.tool_calls ?? []) {
      const call = (this.calls[tc.index] ??= { id: tc.id ?? '', name: '', arguments: '' });
      if (tc.id) call.id = tc.id;
      if (tc.function?.name) call.name += tc.function.name;
      const args = tc.function?.arguments ?? '';
      call.arguments += args;
      out.push({
        type: 'tool_call',
        index: tc.index,
        ...(tc.id ? { id: tc.id } : {}),
        ...(tc.function?.name ? { name: tc.function.name } : {}),
        arguments: args,
      });
    }
    return out;
  }
}

/** OpenAI's Chat Completions over the official SDK (its retries with back-off honour Retry-After). */
export class OpenAiCompatibleAdapter implements UpstreamAdapter {
  private readonly clients = new UpstreamClients((opts) => new OpenAI(opts));

  request(m: RemoteModelDefinition, p: ChatCompleteV1Payload) {
    return upstreamChatRequest(m.upstream_model, p);
  }

  async open(
    m: RemoteModelDefinition,
    endpoint: RemoteModelDefinition['endpoints'][number],
    apiKey: string | undefined,
    p: ChatCompleteV1Payload,
    signal: AbortSignal,
  ): Promise<UpstreamStream> {
    const client = this.clients.get(m, endpoint.base_url, apiKey);
    const stream = await client.chat.completions.create(this.request(m, p), { signal });
    const acc = new UpstreamAccumulator();
    return foldStream(
      stream,
      (c) => acc.add(c),
      () => acc.result(),
    );
  }
}
