import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { Logger } from 'nestjs-pino';
import { readPlatformEnv } from '../config/platform.config';
import {
  DEFAULT_MAX_URL_LENGTH,
  MAX_HEADER_BYTES,
  openAiClientErrorHandler,
  rejectLongUrls,
  replyFrameworkError,
} from '../errors/framework-errors';
import { OpenAiErrorFilter } from '../errors/openai-error.filter';
import { HttpMetricsService } from '../observability/http-metrics.service';
import { REQUEST_ID_HEADER } from '../observability/observability.module';
import { installHttpTracing } from '../tracing/http-server-tracing';
import { isTracingEnabled } from '../tracing/tracing';

export interface HttpAppOptions {
  port: number;
  host?: string;
  bodyLimitBytes?: number;
  /** Longest URL (path and query) accepted; longer ones get 414 `uri_too_long`. Default 8 KiB. */
  maxUrlLength?: number;
  /** Hook to add app-specific setup (Swagger, extra Fastify hooks) before listening. */
  configure?: (app: NestFastifyApplication) => void | Promise<void>;
}

/**
 * Starts a Nest app on Fastify the same way for every service: pino logs, OpenAI-shaped errors (Fastify's own
 * body-parsing, routing and HTTP-parser errors included), request id echoed back, HTTP metrics, graceful shutdown
 * on SIGTERM, and, while tracing is on (ObservabilityModule starts it), a SERVER span per request. The client IP
 * (`req.ip`) is the socket's peer unless that peer is one of TRUSTED_PROXIES.
 */
export async function bootstrapHttpApp(
  rootModule: Parameters<typeof NestFactory.create>[0],
  opts: HttpAppOptions,
): Promise<NestFastifyApplication> {
  const { trustedProxies } = readPlatformEnv();
  const maxUrlLength = opts.maxUrlLength ?? DEFAULT_MAX_URL_LENGTH;
  const adapter = new FastifyAdapter({
    bodyLimit: opts.bodyLimitBytes ?? 1024 * 1024,
    // Only a configured proxy may name the client with X-Forwarded-For; anyone else could pick any IP (and so
    // escape per-IP limits). proxy-addr takes the list of addresses and CIDR ranges.
    trustProxy: trustedProxies.length > 0 ? trustedProxies : false,
    requestIdHeader: REQUEST_ID_HEADER,
    genReqId: () => crypto.randomUUID(),
    // Node's parser would close the socket (431) on a long URL before Fastify saw it; see MAX_HEADER_BYTES.
    http: { maxHeaderSize: MAX_HEADER_BYTES },
    clientErrorHandler: openAiClientErrorHandler,
    frameworkErrors: (err: FastifyError, req: FastifyRequest, reply: FastifyReply) =>
      replyFrameworkError(err, req, reply, REQUEST_ID_HEADER),
  });
  const app = await NestFactory.create<NestFastifyApplication>(rootModule, adapter, { bufferLogs: true });
  app.useLogger(app.get(Logger));
  app.useGlobalFilters(new OpenAiErrorFilter());
  app.enableShutdownHooks();

  // Fastify's own errors (malformed JSON, body limit) reach OpenAiErrorFilter as Nest HTTP exceptions; unknown
  // routes reach it as Nest's NotFoundException.
  const fastify = app.getHttpAdapter().getInstance();
  // First, so the hooks after it (and the handler) run inside the request's span.
  if (isTracingEnabled()) installHttpTracing(fastify);
  fastify.addHook('onRequest', (req, reply, done) => {
    reply.header(REQUEST_ID_HEADER, req.id);
    done();
  });
  fastify.addHook('onRequest', rejectLongUrls(maxUrlLength));
  app.get(HttpMetricsService).install(fastify);

  await opts.configure?.(app);
  await app.listen(opts.port, opts.host ?? '0.0.0.0');
  return app;
}
