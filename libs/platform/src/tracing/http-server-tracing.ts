import {
  Attributes,
  Context,
  ROOT_CONTEXT,
  Span,
  SpanKind,
  SpanStatusCode,
  context,
  propagation,
  trace,
} from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
} from '@opentelemetry/semantic-conventions';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { platformTracer } from './tracing';

const kTraceContext = Symbol('llmp.traceContext');
type TracedRequest = FastifyRequest & { [kTraceContext]?: Context };

/** Probes and scrapes: a span every few seconds per replica, and never part of a request's story. */
const UNTRACED = /^\/(health|metrics)(\/|\?|$)/;

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']);

/**
 * A SERVER span per HTTP request, joined to the caller's trace (W3C `traceparent`/`tracestate`), named
 * `<METHOD> <route pattern>` and carrying the HTTP semantic-convention attributes: method, route, path, scheme,
 * protocol version and status code. Never headers, query strings or bodies (they carry credentials and prompts).
 *
 * Written by hand rather than with `@opentelemetry/instrumentation-http`/`-fastify`: those are not installed, they
 * patch modules at require time (the SDK would have to load before Fastify), and what is needed here is two hooks.
 *
 * The span is the active context from `onRequest` on (Fastify binds its body parser's callback to the request's
 * async context, so it reaches the handler: Nest guards, interceptors, controller), and is made active again in
 * `preHandler`, so the handler does not depend on every plugin hook in between resuming in the right context. The
 * span ends when the raw response closes (after the last byte, or when the client goes away), so an SSE stream is
 * covered until its end, not only until its handler returns.
 */
export function installHttpTracing(fastify: FastifyInstance): void {
  const tracer = platformTracer();
  fastify.addHook('onRequest', (req: TracedRequest, reply, done) => {
    if (UNTRACED.test(req.url)) return done();
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const route = req.routeOptions.url;
    const method = KNOWN_METHODS.has(req.method) ? req.method : '_OTHER';
    const attributes: Attributes = {
      [ATTR_HTTP_REQUEST_METHOD]: method,
      [ATTR_URL_PATH]: pathOf(req.url),
      [ATTR_URL_SCHEME]: req.protocol,
      [ATTR_NETWORK_PROTOCOL_VERSION]: req.raw.httpVersion,
    };
    if (route) attributes[ATTR_HTTP_ROUTE] = route;
    const span = tracer.startSpan(route ? `${method} ${route}` : method, { kind: SpanKind.SERVER, attributes }, parent);
    const ctx = trace.setSpan(parent, span);
    req[kTraceContext] = ctx;
    reply.raw.once('close', () => endServerSpan(span, reply));
    context.with(ctx, done);
  });
  fastify.addHook('preHandler', (req: TracedRequest, _reply, done) => {
    const ctx = req[kTraceContext];
    if (ctx) context.with(ctx, done);
    else done();
  });
}

function endServerSpan(span: Span, reply: FastifyReply): void {
  const raw = reply.raw;
  if (raw.headersSent) {
    const status = raw.statusCode;
    span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
    // Server spans: only 5xx is an error (a 4xx is the client's).
    if (status >= 500) {
      span.setAttribute(ATTR_ERROR_TYPE, String(status));
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
  }
  // The connection closed before the response was complete: the client went away (a cancelled stream).
  if (!raw.writableFinished) span.addEvent('client closed the connection');
  span.end();
}

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}
