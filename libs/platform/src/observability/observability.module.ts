import { DynamicModule, Module } from '@nestjs/common';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { LoggerModule } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { readPlatformEnv } from '../config/platform.config';
import { traceLogFields } from '../tracing/trace-log-fields';
import { startTracing } from '../tracing/tracing';
import { TracingShutdown } from '../tracing/tracing-shutdown';
import { HttpMetricsService } from './http-metrics.service';
import { logRedactionOptions } from './log-redaction';

export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * JSON logs (pino) carrying a request id, with credentials (auth headers, cookies, passwords, tokens, keys) replaced
 * by `[redacted]` in every line, and Prometheus `/metrics` with process metrics and HTTP metrics.
 *
 * Also starts OpenTelemetry tracing for the service when it is configured (see tracing.config.ts): here, because
 * `forRoot` runs when the app module is loaded, before Nest creates anything that makes spans (queues, workers,
 * RPC clients). Then log lines written inside a span carry its `trace_id` and `span_id`; off, no mixin is installed.
 */
@Module({})
export class ObservabilityModule {
  static forRoot(service: string): DynamicModule {
    const { logLevel } = readPlatformEnv();
    const tracing = startTracing(service);
    return {
      module: ObservabilityModule,
      global: true,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: {
            level: logLevel,
            base: { service },
            ...(tracing ? { mixin: traceLogFields } : {}),
            genReqId: (req: IncomingMessage) => {
              const given = req.headers[REQUEST_ID_HEADER];
              return typeof given === 'string' && given.length > 0 && given.length <= 128 ? given : randomUUID();
            },
            // Health and metrics probes would drown the log.
            autoLogging: { ignore: (req) => /^\/(health|metrics)/.test(req.url ?? '') },
            // No customProps and no quietReqLogger: pino-http makes one more child logger per request for each (a child
            // serializes its bindings through the redaction paths), a tenth of a cache hit's CPU.
            ...logRedactionOptions(),
          },
        }),
        PrometheusModule.register({
          path: '/metrics',
          defaultMetrics: { enabled: true, config: { labels: { service } } },
        }),
      ],
      providers: [HttpMetricsService, TracingShutdown],
      exports: [HttpMetricsService],
    };
  }
}
