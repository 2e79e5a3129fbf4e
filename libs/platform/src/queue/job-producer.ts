import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { JobsOptions, Queue } from 'bullmq';
import { JOBS, JobName, JobPayload } from '@llmp/contracts';
import { platformConfig } from '../config/platform.config';
import { RedisFactory } from '../redis/redis.factory';
import { queueTelemetry } from '../tracing/queue-telemetry';

/**
 * The only way to enqueue: `add(queue, name, payload)` where the payload type follows from the job name. The
 * payload is validated against the contract before it leaves the process. While tracing is on, each `add` makes a
 * PRODUCER span, a child of the caller's active span, whose context travels with the job to the worker.
 */
@Injectable()
export class JobProducer implements OnApplicationShutdown {
  private readonly queues = new Map<string, Queue>();

  constructor(
    private readonly redis: RedisFactory,
    @Inject(platformConfig.KEY) private readonly platform: ConfigType<typeof platformConfig>,
  ) {}

  queue(queueName: string): Queue {
    let q = this.queues.get(queueName);
    if (!q) {
      // Fails fast while Redis is down: the caller (a request, or an outbox relay) learns it at once.
      q = new Queue(queueName, {
        connection: this.redis.requestClient(),
        prefix: this.platform.queuePrefix,
        ...queueTelemetry(),
      });
      this.queues.set(queueName, q);
    }
    return q;
  }

  async add<N extends JobName>(queueName: string, name: N, payload: JobPayload<N>, opts?: JobsOptions) {
    const data = JOBS[name].payload.parse(payload);
    return this.queue(queueName).add(name, data, opts);
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }
}
