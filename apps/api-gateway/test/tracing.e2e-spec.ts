/**
 * OpenTelemetry tracing end to end: auth, an inference worker and the gateway started as real processes with
 * OTEL_EXPORTER_OTLP_ENDPOINT pointing at a real OTLP/HTTP receiver in this test (the exporter posts OTLP JSON to
 * `/v1/traces`), one streamed chat completion sent by the official SDK with a client `traceparent`; then the spans
 * the processes exported are checked as one tree. And the same platform without an endpoint sends nothing.
 *
 * Needs a build first: `node infra/scripts/build.mjs && npx jest apps/api-gateway/test/tracing.e2e-spec.ts`.
 */
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { OpenAI } from 'openai';
import { inferenceQueueName } from '@llmp/contracts';
import { RunningPlatform, startPlatform } from '@llmp/testing';

const MODEL = 'stories260k';
const CLIENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';
const TRACEPARENT = `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01`;
/** Where the OTLP exporter sends when no endpoint is configured: a provider registered by mistake would post here. */
const OTLP_DEFAULT_PORT = 4318;

/** OTLP span kinds (the API's SpanKind + 1). */
const KIND = { INTERNAL: 1, SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 } as const;

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
  arrayValue?: { values: OtlpValue[] };
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes?: OtlpAttribute[];
}
interface OtlpExport {
  resourceSpans: { resource: { attributes: OtlpAttribute[] }; scopeSpans: { spans: OtlpSpan[] }[] }[];
}

/** A span as received, with its process's `service.name` and its attributes as a plain object. */
interface ReceivedSpan extends OtlpSpan {
  service: string;
  attrs: Record<string, unknown>;
}

function plain(value: OtlpValue): unknown {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.boolValue !== undefined) return value.boolValue;
  return value.arrayValue?.values.map(plain);
}

const attrsOf = (list: OtlpAttribute[] = []) => Object.fromEntries(list.map((a) => [a.key, plain(a.value)]));

/** A tiny OTLP/HTTP JSON receiver: `POST /v1/traces`, answers 200 `{}` as a collector does. */
class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  posts = 0;
  private server: Server | null = null;

  async listen(port = 0, host = '127.0.0.1'): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.posts++;
        if (req.method === 'POST' && req.url === '/v1/traces') {
          const body = JSON.parse(Buffer.concat(chunks).toString()) as OtlpExport;
          for (const rs of body.resourceSpans ?? []) {
            const service = String(attrsOf(rs.resource.attributes)['service.name']);
            for (const ss of rs.scopeSpans) {
              for (const span of ss.spans) this.spans.push({ ...span, service, attrs: attrsOf(span.attributes) });
            }
          }
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    const server = this.server;
    await new Promise<void>((res, rej) => {
      server.once('error', rej);
      server.listen(port, host, () => res());
    });
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (server) await new Promise<void>((res) => server.close(() => res()));
  }
}

async function streamChat(platform: RunningPlatform): Promise<string> {
  const client = new OpenAI({ baseURL: `${platform.gateway.url}/v1`, apiKey: platform.apiKey, maxRetries: 0 });
  const stream = await client.chat.completions.create(
    { model: MODEL, messages: [{ role: 'user', content: 'Once upon a time' }], max_tokens: 48, stream: true },
    { headers: { traceparent: TRACEPARENT } },
  );
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
  return text;
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 15000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const nanos = (t: string) => BigInt(t);

describe('tracing across the gateway, the queue and the worker', () => {
  describe('with an OTLP endpoint', () => {
    const receiver = new OtlpReceiver();
    let platform: RunningPlatform;

    beforeAll(async () => {
      const endpoint = await receiver.listen();
      platform = await startPlatform({
        workerModels: MODEL,
        env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_BSP_SCHEDULE_DELAY: '100' },
      });
    }, 120_000);

    afterAll(async () => {
      await platform?.stop();
      await receiver.close();
    });

    it("joins one request's spans across processes under the client's parent span", async () => {
      const text = await streamChat(platform);
      expect(text.length).toBeGreaterThan(0);

      const inTrace = () => receiver.spans.filter((s) => s.traceId === CLIENT_TRACE);
      const find = (pred: (s: ReceivedSpan) => boolean) => inTrace().find(pred);
      // The worker's job span ends before the gateway's request span (the stream's end), and each process exports
      // on its own schedule: wait for the last of each.
      const server = await until('the gateway server span', () =>
        find((s) => s.service === 'api-gateway' && s.kind === KIND.SERVER && s.name === 'POST /v1/chat/completions'),
      );
      const consumer = await until('the worker consumer span', () =>
        find((s) => s.service === 'inference-worker' && s.kind === KIND.CONSUMER),
      );
      const job = await until('the worker job span', () =>
        find((s) => s.service === 'inference-worker' && s.name === 'chat.complete.v1'),
      );

      // The gateway's request span is the child of the client's span, with the HTTP attributes and no headers.
      expect(server.parentSpanId).toBe(CLIENT_SPAN);
      expect(server.attrs).toMatchObject({
        'http.request.method': 'POST',
        'http.route': '/v1/chat/completions',
        'http.response.status_code': 200,
      });
      expect(JSON.stringify(receiver.spans)).not.toContain(platform.apiKey);

      // gateway server span -> (spans inside the request) -> gateway producer span -> worker consumer span.
      const byId = new Map(inTrace().map((s) => [s.spanId, s]));
      const producer = byId.get(consumer.parentSpanId ?? '');
      expect(producer).toMatchObject({
        service: 'api-gateway',
        kind: KIND.PRODUCER,
        name: `add ${inferenceQueueName(MODEL)}.chat.complete.v1`,
      });
      const ancestors: string[] = [];
      for (let s = producer; s?.parentSpanId; s = byId.get(s.parentSpanId)) ancestors.push(s.parentSpanId);
      expect(ancestors).toContain(server.spanId);
      expect(ancestors[ancestors.length - 1]).toBe(CLIENT_SPAN);
      expect(consumer.name).toBe(`process ${inferenceQueueName(MODEL)}`);

      // The generation runs inside the consumer span and reports its size.
      expect(job.parentSpanId).toBe(consumer.spanId);
      expect(job.attrs['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
      expect(job.attrs['gen_ai.usage.input_tokens']).toBeGreaterThan(0);

      // "And back": the request span lasts until the reply has streamed out. The worker ends its job span just after
      // publishing the last event, as the gateway relays it: they end within a millisecond of each other, either
      // first; a span ended by the handler's return would end before the generation (tens of milliseconds).
      expect(nanos(server.startTimeUnixNano)).toBeLessThan(nanos(job.startTimeUnixNano));
      expect(nanos(server.endTimeUnixNano)).toBeGreaterThan(nanos(job.endTimeUnixNano) - 5_000_000n);
      expect(nanos(job.endTimeUnixNano) - nanos(job.startTimeUnixNano)).toBeGreaterThan(5_000_000n);

      // The API key was checked by auth over RPC: its SERVER span is the child of a gateway CLIENT span.
      const authServer = await until('the auth RPC span', () =>
        find((s) => s.service === 'auth' && s.kind === KIND.SERVER),
      );
      expect(byId.get(authServer.parentSpanId ?? '')).toMatchObject({ service: 'api-gateway', kind: KIND.CLIENT });
    });
  });

  describe('without an endpoint', () => {
    const receiver = new OtlpReceiver();
    let platform: RunningPlatform;
    let stopped = false;

    beforeAll(async () => {
      // On the exporter's default address (both address families: `localhost` may resolve to either).
      await receiver.listen(OTLP_DEFAULT_PORT, '::');
      platform = await startPlatform({
        workerModels: MODEL,
        env: { OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_SERVICE_NAME: 'should-not-appear' },
      });
    }, 120_000);

    afterAll(async () => {
      if (!stopped) await platform?.stop();
      await receiver.close();
    });

    it('sends nothing', async () => {
      expect((await streamChat(platform)).length).toBeGreaterThan(0);
      // Ten export intervals of a provider that should not exist; then the processes' final flush on shutdown.
      await new Promise((r) => setTimeout(r, 1000));
      stopped = true;
      await platform.stop();
      expect(receiver.posts).toBe(0);
    });
  });
});
