import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Gauge } from 'prom-client';
import { embeddingQueueName, inferenceQueueName } from '@llmp/contracts';
import { JobProducer, registeredMetric } from '@llmp/platform';
import { gatewayConfig } from '../config/gateway.config';

/** The BullMQ states the queue-depth gauge reports (KEDA scales the worker pools on waiting + active + prioritized). */
export const QUEUE_JOB_STATES = ['waiting', 'active', 'prioritized', 'delayed'] as const;

/** A local model's queue, as the gauges label it. */
export interface ModelQueue {
  model: string;
  kind: 'llm' | 'embedding';
  queue: string;
  /** Jobs one worker serves at once: `slots` of an LLM, `concurrency` of an embedding model. */
  slots: number;
}

/** The latest metrics provider's queue reader: the gauges are read when /metrics is scraped. */
let readQueues: (() => Promise<void>) | undefined;

/**
 * Queue depth of every local model, read from BullMQ when /metrics is scraped: `llmp_queue_jobs{queue,model,state}`
 * and, per model, the jobs one worker serves at once, `llmp_model_slots{model,kind}`. Together they are the
 * autoscaling signal (KEDA's prometheus trigger): `sum(llmp_queue_jobs{state=~"waiting|active|prioritized"}) /
 * max(llmp_model_slots)` is the number of workers the backlog needs.
 */
@Injectable()
export class QueueMetrics implements OnModuleInit {
  private static readonly logger = new Logger(QueueMetrics.name);

  readonly jobs = registeredMetric(
    'llmp_queue_jobs',
    () =>
      new Gauge({
        name: 'llmp_queue_jobs',
        help: 'Jobs in a model queue by BullMQ state (waiting, active, prioritized, delayed), read at scrape time',
        labelNames: ['queue', 'model', 'state'],
        async collect() {
          await readQueues?.();
        },
      }),
  );

  readonly slots = registeredMetric(
    'llmp_model_slots',
    () =>
      new Gauge({
        name: 'llmp_model_slots',
        help: 'Jobs one worker serves at once for a local model (slots of an LLM, concurrency of an embedding model)',
        labelNames: ['model', 'kind'],
      }),
  );

  readonly queues: ModelQueue[];

  constructor(
    private readonly producer: JobProducer,
    @Inject(gatewayConfig.KEY) cfg: ConfigType<typeof gatewayConfig>,
  ) {
    this.queues = cfg.models.flatMap((m): ModelQueue[] => {
      if (m.kind === 'remote') return [];
      return m.kind === 'embedding'
        ? [{ model: m.id, kind: 'embedding', queue: embeddingQueueName(m.id), slots: m.concurrency }]
        : [{ model: m.id, kind: 'llm', queue: inferenceQueueName(m.id), slots: m.slots }];
    });
  }

  onModuleInit(): void {
    for (const q of this.queues) this.slots.set({ model: q.model, kind: q.kind }, q.slots);
    readQueues = () => this.read();
  }

  /** Sets the depth gauge from every queue; a queue that cannot be read (Redis away) drops its series. */
  async read(): Promise<void> {
    await Promise.all(
      this.queues.map(async ({ model, queue }) => {
        try {
          const counts = await this.producer.queue(queue).getJobCounts(...QUEUE_JOB_STATES);
          for (const state of QUEUE_JOB_STATES) this.jobs.set({ queue, model, state }, counts[state] ?? 0);
        } catch (err) {
          // No number is better than a stale one: the autoscaler sees the gap and keeps its last decision.
          for (const state of QUEUE_JOB_STATES) this.jobs.remove({ queue, model, state });
          QueueMetrics.logger.warn(`queue depth of ${queue}: ${(err as Error).message}`);
        }
      }),
    );
  }
}
