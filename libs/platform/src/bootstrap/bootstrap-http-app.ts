import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { OpenAiErrorFilter } from '../errors/openai-error.filter';
import { HttpMetricsService } from '../observability/http-metrics.service';
import { REQUEST_ID_HEADER } from '../observability/observability.module';

export interface HttpAppOptions {
  port: number;
  host?: string;
  bodyLimitBytes?: number;
  /** Hook to add app-specific setup (Swagger, extra Fastify hooks) before listening. */
  configure?: (app: NestFastifyApplication) => void | Promise<void>;
}

/**
 * Starts a Nest app on Fastify the same way for every service: pino logs, OpenAI-shaped errors (Fastify's own
 * body-parsing errors included), request id echoed back, HTTP metrics, graceful shutdown on SIGTERM.
 */
export async function bootstrapHttpApp(
  rootModule: Parameters<typeof NestFactory.create>[0],
  opts: HttpAppOptions,
): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: opts.bodyLimitBytes ?? 1024 * 1024,
    trustProxy: true,
    requestIdHeader: REQUEST_ID_HEADER,
    genReqId: () => crypto.randomUUID(),
  });
  const app = await NestFactory.create<NestFastifyApplication>(rootModule, adapter, { bufferLogs: true });
  app.useLogger(app.get(Logger));
  app.useGlobalFilters(new OpenAiErrorFilter());
  app.enableShutdownHooks();

  // Fastify's own errors (malformed JSON, body limit) reach OpenAiErrorFilter as Nest HTTP exceptions.
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', (req, reply, done) => {
    reply.header(REQUEST_ID_HEADER, req.id);
    done();
  });
  app.get(HttpMetricsService).install(fastify);

  await opts.configure?.(app);
  await app.listen(opts.port, opts.host ?? '0.0.0.0');
  return app;
}
