import { TraceFlags, context, trace } from '@opentelemetry/api';

const NONE: Record<string, never> = Object.freeze({}) as Record<string, never>;

/**
 * `trace_id` and `span_id` of the active span, for pino's `mixin` (every log line written inside a traced request
 * or job names its span); nothing outside a span or inside an unsampled one. Installed only while tracing is on.
 */
export function traceLogFields(): { trace_id?: string; span_id?: string } {
  const sc = trace.getSpanContext(context.active());
  if (!sc || (sc.traceFlags & TraceFlags.SAMPLED) === 0) return NONE;
  return { trace_id: sc.traceId, span_id: sc.spanId };
}
