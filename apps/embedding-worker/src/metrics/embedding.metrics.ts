import { Injectable } from '@nestjs/common';
import { Counter, Histogram } from 'prom-client';
import { registeredMetric } from '@llmp/platform';

const SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 30];

/** Embedding worker metrics, labelled by model. Texts per second overall: `rate(embedding_texts_total[1m])`. */
@Injectable()
export class EmbeddingMetrics {
  readonly queueWait = registeredMetric(
    'embedding_queue_wait_seconds',
    () =>
      new Histogram({
        name: 'embedding_queue_wait_seconds',
        help: 'Time a job waited in the queue before the worker took it',
        labelNames: ['model'],
        buckets: SECONDS,
      }),
  );
  readonly jobSeconds = registeredMetric(
    'embedding_job_seconds',
    () =>
      new Histogram({
        name: 'embedding_job_seconds',
        help: 'From job pick-up to its vectors (tokenization, batching wait and model calls included)',
        labelNames: ['model'],
        buckets: SECONDS,
      }),
  );
  readonly batchSize = registeredMetric(
    'embedding_batch_size',
    () =>
      new Histogram({
        name: 'embedding_batch_size',
        help: 'Texts per model call (from one or several jobs)',
        labelNames: ['model'],
        buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
      }),
  );
  readonly batchWait = registeredMetric(
    'embedding_batch_wait_seconds',
    () =>
      new Histogram({
        name: 'embedding_batch_wait_seconds',
        help: 'How long the oldest text of a batch waited for the batch to run',
        labelNames: ['model'],
        buckets: SECONDS,
      }),
  );
  readonly batchSeconds = registeredMetric(
    'embedding_batch_seconds',
    () =>
      new Histogram({
        name: 'embedding_batch_seconds',
        help: 'Duration of one model call',
        labelNames: ['model'],
        buckets: SECONDS,
      }),
  );
  readonly textsPerSecond = registeredMetric(
    'embedding_texts_per_second',
    () =>
      new Histogram({
        name: 'embedding_texts_per_second',
        help: 'Texts per second of one model call',
        labelNames: ['model'],
        buckets: [10, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000],
      }),
  );
  readonly texts = registeredMetric(
    'embedding_texts_total',
    () => new Counter({ name: 'embedding_texts_total', help: 'Inputs embedded', labelNames: ['model'] }),
  );
  readonly promptTokens = registeredMetric(
    'embedding_prompt_tokens_total',
    () => new Counter({ name: 'embedding_prompt_tokens_total', help: 'Tokens embedded', labelNames: ['model'] }),
  );
  readonly jobs = registeredMetric(
    'embedding_jobs_total',
    () => new Counter({ name: 'embedding_jobs_total', help: 'Jobs by outcome', labelNames: ['model', 'outcome'] }),
  );
}
