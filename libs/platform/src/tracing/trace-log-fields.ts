import { TraceFlags, context, trace } from '@opentelemetry/api';

/**
 * `trace_id` and `span_id` of the active span, for pino's `mixin` (every log line written inside a traced request
 * or job names its span); nothing outside a span or inside an unsampled one. Installed only while tracing is on.
 * A new object each call: pino merges the line's own fields into the mixin's result.
 */
export function traceLogFields(): { trace_id?: string; span_id?: string } {
  const sc = trace.getSpanContext(context.active());
  if (!sc || (sc.traceFlags & TraceFlags.SAMPLED) === 0) return {};
  return { trace_id: sc.traceId, span_id: sc.spanId };
}
