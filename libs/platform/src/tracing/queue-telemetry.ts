import { Attributes, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { Telemetry } from 'bullmq';
import { BullMQOtel } from 'bullmq-otel';
import { TRACER_NAME, isTracingEnabled, platformTracer } from './tracing';

let shared: BullMQOtel | null = null;

/**
 * BullMQ's telemetry option while tracing is on, nothing while it is off (BullMQ then skips its span code). With it,
 * `Queue.add` makes a PRODUCER span `add <queue>.<job name>` as a child of the active context (the HTTP request)
 * and stores that span's W3C context in the job's options (`opts.telemetry.metadata`, in Redis beside the job);
 * the Worker makes its CONSUMER span `process <queue>` a child of it and runs the processor inside it.
 */
export function queueTelemetry(): { telemetry?: Telemetry } {
  if (!isTracingEnabled()) return {};
  shared ??= new BullMQOtel(TRACER_NAME);
  return { telemetry: shared as unknown as Telemetry };
}

/**
 * Runs a job handler inside an INTERNAL span named after the job (`chat.complete.v1`), a child of BullMQ's
 * consumer span, and records what the result says of its size: token counts (`gen_ai.usage.*`) and the finish
 * reason of generations, the input tokens of embeddings. Off: calls the handler directly.
 */
export async function traceJobHandler<T>(
  jobName: string,
  jobId: string | undefined,
  handle: () => Promise<T>,
): Promise<T> {
  if (!isTracingEnabled()) return handle();
  const attributes: Attributes = { 'bullmq.job.name': jobName };
  if (jobId !== undefined) attributes['bullmq.job.id'] = jobId;
  return platformTracer().startActiveSpan(jobName, { kind: SpanKind.INTERNAL, attributes }, async (span) => {
    try {
      const result = await handle();
      span.setAttributes(resultAttributes(result));
      return result;
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** Size attributes from a job result shaped like the contracts' generation and embedding results. */
export function resultAttributes(result: unknown): Attributes {
  const out: Attributes = {};
  if (typeof result !== 'object' || result === null) return out;
  const r = result as {
    usage?: { promptTokens?: unknown; completionTokens?: unknown };
    promptTokens?: unknown;
    finishReason?: unknown;
  };
  const input = r.usage?.promptTokens ?? r.promptTokens;
  if (typeof input === 'number') out['gen_ai.usage.input_tokens'] = input;
  if (typeof r.usage?.completionTokens === 'number') out['gen_ai.usage.output_tokens'] = r.usage.completionTokens;
  if (typeof r.finishReason === 'string') out['gen_ai.response.finish_reasons'] = [r.finishReason];
  return out;
}
