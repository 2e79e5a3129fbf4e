import { Injectable } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { Counter, Histogram } from 'prom-client';
import { registeredMetric } from './registered-metric';

/** HTTP request count and duration by method, route pattern and status, recorded from Fastify hooks. */
@Injectable()
export class HttpMetricsService {
  readonly requests = registeredMetric(
    'http_requests_total',
    () =>
      new Counter({ name: 'http_requests_total', help: 'HTTP requests', labelNames: ['method', 'route', 'status'] }),
  );
  readonly duration = registeredMetric(
    'http_request_duration_seconds',
    () =>
      new Histogram({
        name: 'http_request_duration_seconds',
        help: 'HTTP request duration (for streams: until the last byte)',
        labelNames: ['method', 'route', 'status'],
        buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      }),
  );

  install(fastify: FastifyInstance): void {
    fastify.addHook('onRequest', (req, _reply, done) => {
      (req as { metricsStart?: bigint }).metricsStart = process.hrtime.bigint();
      done();
    });
    fastify.addHook('onResponse', (req, reply, done) => {
      this.observe(req, reply.statusCode);
      done();
    });
  }

  private observe(req: { method: string; routeOptions?: { url?: string }; metricsStart?: bigint }, status: number) {
    const route = req.routeOptions?.url ?? 'unmatched';
    if (route === '/metrics') return;
    const labels = { method: req.method, route, status: String(status) };
    this.requests.inc(labels);
    if (req.metricsStart !== undefined) {
      this.duration.observe(labels, Number(process.hrtime.bigint() - req.metricsStart) / 1e9);
    }
  }
}
