import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram } from 'prom-client';
import { registeredMetric } from '@llmp/platform';

/** Inference worker metrics, labelled by model. */
@Injectable()
export class InferenceMetrics {
  readonly queueWait = registeredMetric(
    'inference_queue_wait_seconds',
    () =>
      new Histogram({
        name: 'inference_queue_wait_seconds',
        help: 'Time a job waited in the queue before a slot took it',
        labelNames: ['model'],
        buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      }),
  );
  readonly timeToFirstToken = registeredMetric(
    'inference_time_to_first_token_seconds',
    () =>
      new Histogram({
        name: 'inference_time_to_first_token_seconds',
        help: 'From job pick-up to the first generated token (prompt evaluation included)',
        labelNames: ['model'],
        buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      }),
  );
  readonly tokensGenerated = registeredMetric(
    'inference_tokens_generated_total',
    () => new Counter({ name: 'inference_tokens_generated_total', help: 'Completion tokens', labelNames: ['model'] }),
  );
  readonly promptTokens = registeredMetric(
    'inference_prompt_tokens_total',
    () => new Counter({ name: 'inference_prompt_tokens_total', help: 'Prompt tokens', labelNames: ['model'] }),
  );
  readonly tokensPerSecond = registeredMetric(
    'inference_tokens_per_second',
    () =>
      new Histogram({
        name: 'inference_tokens_per_second',
        help: 'Decode rate of one request',
        labelNames: ['model'],
        buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000],
      }),
  );
  readonly busySlots = registeredMetric(
    'inference_busy_slots',
    () => new Gauge({ name: 'inference_busy_slots', help: 'Sequences generating now', labelNames: ['model'] }),
  );
  readonly jobs = registeredMetric(
    'inference_jobs_total',
    () => new Counter({ name: 'inference_jobs_total', help: 'Jobs by outcome', labelNames: ['model', 'outcome'] }),
  );
}
