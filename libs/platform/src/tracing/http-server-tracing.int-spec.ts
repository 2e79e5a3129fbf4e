/**
 * The HTTP server hook on a real Fastify server (real sockets, real body parsing), spans kept in memory.
 */
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, ReadableSpan } from '@opentelemetry/sdk-trace';
import Fastify, { FastifyInstance } from 'fastify';
import { PassThrough, Writable } from 'node:stream';
import pino from 'pino';
import { readTracingEnv } from '../config/tracing.config';
import { installHttpTracing } from './http-server-tracing';
import { traceLogFields } from './trace-log-fields';
import { platformTracer, shutdownTracing, startTracing } from './tracing';

const CLIENT_TRACE = '0af7651916cd43dd8448eb211c80319c';
const CLIENT_SPAN = 'b7ad6b7169203331';
const TRACEPARENT = `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01`;
const STREAM_MS = 300;

describe('installHttpTracing', () => {
  const exporter = new InMemorySpanExporter();
  let app: FastifyInstance;
  let url: string;
  let streamEndedAt = 0;
  const logLines: Record<string, unknown>[] = [];
  const logger = pino(
    { mixin: traceLogFields },
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        logLines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        cb();
      },
    }),
  );

  beforeAll(async () => {
    startTracing('test-app', readTracingEnv({}), { exporter });
    app = Fastify();
    installHttpTracing(app);
    app.post('/items/:id', async (req) => {
      // After the body was parsed (request stream events, outside any async context) and a timer: still the span.
      await new Promise((r) => setTimeout(r, 5));
      logger.info({ step: 'handler' }, 'inside');
      return platformTracer().startActiveSpan('inner', (span) => {
        span.end();
        return { id: (req.params as { id: string }).id, bytes: JSON.stringify(req.body).length };
      });
    });
    app.get('/stream', (_req, reply) => {
      const body = new PassThrough();
      void reply.header('content-type', 'text/event-stream').send(body);
      body.write('data: 1\n\n');
      setTimeout(() => {
        streamEndedAt = Date.now();
        body.end('data: [DONE]\n\n');
      }, STREAM_MS);
      return reply;
    });
    app.get('/boom', async () => {
      throw new Error('boom');
    });
    app.get('/health', async () => ({ ok: true }));
    url = await app.listen({ port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await app.close();
    await shutdownTracing();
  });

  beforeEach(() => exporter.reset());

  const finished = async (name: string): Promise<ReadableSpan> => {
    for (let i = 0; i < 100; i++) {
      const span = exporter.getFinishedSpans().find((s) => s.name === name);
      if (span) return span;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`no span ${name}; have ${exporter.getFinishedSpans().map((s) => s.name)}`);
  };

  it('joins the caller trace, names the span by route and parents the spans of the handler', async () => {
    const res = await fetch(`${url}/items/42?secret=q`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: TRACEPARENT, authorization: 'Bearer sk-secret' },
      // Large enough to arrive in many socket reads: the handler runs after the body stream's last event.
      body: JSON.stringify({ prompt: 'private words', padding: 'x'.repeat(512 * 1024) }),
    });
    expect(res.status).toBe(200);
    const server = await finished('POST /items/:id');
    const inner = await finished('inner');
    expect(server.kind).toBe(SpanKind.SERVER);
    expect(server.spanContext().traceId).toBe(CLIENT_TRACE);
    expect(server.parentSpanContext?.spanId).toBe(CLIENT_SPAN);
    expect(inner.spanContext().traceId).toBe(CLIENT_TRACE);
    expect(inner.parentSpanContext?.spanId).toBe(server.spanContext().spanId);
    expect(server.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/items/:id',
      'url.path': '/items/42',
      'http.response.status_code': 200,
    });
    // No credentials, query strings or bodies in the span.
    expect(JSON.stringify(server.attributes)).not.toMatch(/sk-secret|secret=q|private words/);
    // Log lines inside the request name its span; outside, they carry no trace fields (and pino's merge works).
    logger.info({ step: 'outside' }, 'outside');
    const [inside, outside] = logLines.splice(0);
    expect(inside).toMatchObject({ step: 'handler', trace_id: CLIENT_TRACE, span_id: server.spanContext().spanId });
    expect(outside).toMatchObject({ step: 'outside' });
    expect(outside).not.toHaveProperty('trace_id');
  });

  it('ends a streamed response span when the stream ends, not when the handler returns', async () => {
    const res = await fetch(`${url}/stream`);
    expect(await res.text()).toContain('[DONE]');
    const span = await finished('GET /stream');
    const endMs = span.endTime[0] * 1000 + span.endTime[1] / 1e6;
    expect(endMs).toBeGreaterThanOrEqual(streamEndedAt - 1);
    const durationMs = span.duration[0] * 1000 + span.duration[1] / 1e6;
    expect(durationMs).toBeGreaterThanOrEqual(STREAM_MS - 20);
    // No traceparent: a trace of its own.
    expect(span.parentSpanContext).toBeUndefined();
  });

  it('marks a 5xx as an error and leaves health probes untraced', async () => {
    expect((await fetch(`${url}/boom`)).status).toBe(500);
    const span = await finished('GET /boom');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['http.response.status_code']).toBe(500);
    expect((await fetch(`${url}/health`)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 50));
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['GET /boom']);
  });
});
