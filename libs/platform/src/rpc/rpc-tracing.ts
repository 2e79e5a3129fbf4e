import { Attributes, ROOT_CONTEXT, SpanKind, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import { ATTR_RPC_METHOD, ATTR_RPC_SYSTEM_NAME } from '@opentelemetry/semantic-conventions';
import { isTracingEnabled, platformTracer } from '../tracing/tracing';

/**
 * The packet field carrying the caller's W3C trace context (`{traceparent, tracestate}`) beside Nest's
 * `{pattern, data, id}`: the Redis transport has no headers, and `data` belongs to the pattern's schema. Servers
 * without tracing ignore it; a packet without it starts a trace of its own.
 */
export const RPC_TRACE_FIELD = 'traceContext';

const RPC_SYSTEM = 'nestjs_redis';

/** Adds the active trace context to an outgoing request packet (tracing on, inside a span; otherwise nothing). */
export function injectRpcTraceContext(packet: object): void {
  if (!isTracingEnabled()) return;
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  if (carrier['traceparent']) (packet as Record<string, unknown>)[RPC_TRACE_FIELD] = carrier;
}

/** The trace context a request packet carries, when it is a well-formed string map. */
export function rpcTraceCarrier(packet: unknown): Record<string, string> | null {
  const carrier = (packet as Record<string, unknown> | null)?.[RPC_TRACE_FIELD];
  if (typeof carrier !== 'object' || carrier === null) return null;
  const out: Record<string, string> = {};
  for (const key of ['traceparent', 'tracestate']) {
    const v = (carrier as Record<string, unknown>)[key];
    if (typeof v === 'string' && v.length <= 512) out[key] = v;
  }
  return out.traceparent ? out : null;
}

/** A CLIENT span `<pattern>` around an RPC call, the active context while the request is published. */
export async function traceRpcCall<T>(service: string, pattern: string, call: () => Promise<T>): Promise<T> {
  if (!isTracingEnabled()) return call();
  const attributes: Attributes = {
    [ATTR_RPC_SYSTEM_NAME]: RPC_SYSTEM,
    'rpc.service': service,
    [ATTR_RPC_METHOD]: pattern,
  };
  return platformTracer().startActiveSpan(pattern, { kind: SpanKind.CLIENT, attributes }, async (span) => {
    try {
      return await call();
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** A SERVER span `<pattern>` around the handling of one RPC request, a child of the caller's span when it sent one. */
export async function traceRpcHandling<T>(
  pattern: string,
  carrier: Record<string, string> | null,
  handle: () => Promise<T>,
): Promise<T> {
  if (!isTracingEnabled()) return handle();
  const parent = carrier ? propagation.extract(ROOT_CONTEXT, carrier) : ROOT_CONTEXT;
  const attributes: Attributes = { [ATTR_RPC_SYSTEM_NAME]: RPC_SYSTEM, [ATTR_RPC_METHOD]: pattern };
  const span = platformTracer().startSpan(pattern, { kind: SpanKind.SERVER, attributes }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), handle);
  } catch (err) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message });
    throw err;
  } finally {
    span.end();
  }
}
