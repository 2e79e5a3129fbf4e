import { Injectable } from '@nestjs/common';
import { Counter, Histogram } from 'prom-client';
import { registeredMetric } from '@llmp/platform';

/** Gateway-side latency as the client sees it (queueing and transport included). */
@Injectable()
export class GatewayMetrics {
  private readonly ttft = registeredMetric(
    'gateway_time_to_first_token_seconds',
    () =>
      new Histogram({
        name: 'gateway_time_to_first_token_seconds',
        help: 'From request arrival to the first streamed token',
        labelNames: ['model'],
        buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      }),
  );
  private readonly tokens = registeredMetric(
    'gateway_completion_tokens_total',
    () => new Counter({ name: 'gateway_completion_tokens_total', help: 'Tokens returned', labelNames: ['model'] }),
  );

  observeFirstToken(model: string, startedAt: number): void {
    this.ttft.observe({ model }, (performance.now() - startedAt) / 1000);
  }

  observeCompletion(model: string, _startedAt: number, completionTokens: number): void {
    this.tokens.inc({ model }, completionTokens);
  }
}
