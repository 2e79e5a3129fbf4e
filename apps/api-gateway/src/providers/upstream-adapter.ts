import type { ChatCompleteV1Payload, GenerationResult } from '@llmp/contracts';
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
