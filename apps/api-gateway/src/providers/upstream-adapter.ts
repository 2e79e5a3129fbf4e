import type { ChatCompleteV1Payload, FinishReason, GenerationResult, ToolCall } from '@llmp/contracts';
import type { RemoteModelDefinition } from '@llmp/platform';

/** One event a remote generation makes, as the job's stream carries it. */
export type UpstreamEvent =
  { type: 'delta'; text: string } | { type: 'tool_call'; index: number; id?: string; name?: string; arguments: string };

/** An upstream's generation once its stream is open: its events, then the whole result with its usage. */
export interface UpstreamStream {
  /** Each step yields the events of one upstream chunk (possibly none). */
  chunks: AsyncIterator<UpstreamEvent[]>;
  result(): GenerationResult;
}

/** How the gateway speaks to one kind of remote provider. */
export interface UpstreamAdapter {
  /** The request the upstream gets for a job (a dry run shows its messages). */
  request(m: RemoteModelDefinition, p: ChatCompleteV1Payload): { messages: unknown };
  /** Sends it, streamed; resolves once the upstream accepted it (its status line), rejects with the SDK's error. */
  open(
    m: RemoteModelDefinition,
    endpoint: RemoteModelDefinition['endpoints'][number],
    apiKey: string | undefined,
    p: ChatCompleteV1Payload,
    signal: AbortSignal,
  ): Promise<UpstreamStream>;
}

/** An SDK stream as an upstream stream: each chunk folded into events by `fold`, the result at the end. */
export function foldStream<T>(
  stream: AsyncIterable<T>,
  fold: (chunk: T) => UpstreamEvent[],
  result: () => GenerationResult,
): UpstreamStream {
  const it = stream[Symbol.asyncIterator]();
  return {
    chunks: {
      next: async () => {
        const r = await it.next();
        return r.done ? { done: true, value: undefined } : { done: false, value: fold(r.value) };
      },
    },
    result,
  };
}

/** One SDK client per upstream, key and retry settings (they keep their connections alive between requests). */
export class UpstreamClients<C> {
  private readonly clients = new Map<string, C>();

  constructor(
    private readonly make: (opts: { baseURL: string; apiKey: string; maxRetries: number; timeout: number }) => C,
  ) {}

  get(m: RemoteModelDefinition, baseURL: string, apiKey: string | undefined): C {
    const id = `${baseURL} ${apiKey ?? ''} ${m.max_retries} ${m.first_token_timeout_ms}`;
    let c = this.clients.get(id);
    if (!c) {
      c = this.make({
        baseURL,
        apiKey: apiKey ?? 'none',
        maxRetries: m.max_retries,
        timeout: m.first_token_timeout_ms,
      });
      this.clients.set(id, c);
    }
    return c;
  }
}

/**
 * What both adapters fold an upstream stream into: the text so far, the calls (by index), the finish reason and
 * the upstream's usage. A reply with calls that stopped normally finishes with `tool_calls`; a call whose
 * arguments never streamed has `{}`.
 */
export abstract class GenerationFold {
  protected text = '';
  protected finish: FinishReason = 'stop';
  protected readonly calls: ToolCall[] = [];
  protected usage = { promptTokens: 0, completionTokens: 0 };

  result(): GenerationResult {
    const calls = this.calls.filter(Boolean).map((c) => ({ ...c, arguments: c.arguments || '{}' }));
    return {
      text: this.text,
      finishReason: calls.length && this.finish === 'stop' ? 'tool_calls' : this.finish,
      usage: this.usage,
      ...(calls.length ? { toolCalls: calls } : {}),
    };
  }
}
