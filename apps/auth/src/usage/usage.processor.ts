import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Worker } from 'bullmq';
import { USAGE_QUEUE } from '@llmp/contracts';
import { JobHandlers, ReadinessRegistry, RedisFactory, createTypedWorker, platformConfig } from '@llmp/platform';
import { UsageService } from './usage.service';

/**
 * Consumes the `usage` queue: `usage.record-batch.v1` (what gateways send: many records, one INSERT) and
 * `usage.record.v1` (one record; still accepted from gateways of an older release during a rolling upgrade).
 * Recording is idempotent per request id either way.
 */
@Injectable()
export class UsageProcessor implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(UsageProcessor.name);
  private worker: Worker | undefined;

  constructor(
    private readonly usage: UsageService,
    private readonly redis: RedisFactory,
    private readonly readiness: ReadinessRegistry,
    @Inject(platformConfig.KEY) private readonly platform: ConfigType<typeof platformConfig>,
  ) {}

  onApplicationBootstrap(): void {
    const handlers: JobHandlers<'usage'> = {
      'usage.record.v1': (payload) => this.usage.record(payload),
      'usage.record-batch.v1': (payload) => this.usage.recordBatch(payload),
    };
    const connection = this.redis.create('usage-worker');
    const worker = createTypedWorker('usage', USAGE_QUEUE, handlers, {
      connection,
      prefix: this.platform.queuePrefix,
      concurrency: 4,
    });
    worker.on('error', (err) => this.logger.warn(`usage worker: ${err.message}`));
    worker.on('failed', (job, err) => this.logger.warn({ jobId: job?.id, err: err.message }, 'usage job failed'));
    this.worker = worker;
    this.readiness.register('usage-worker', async () => {
      if (!worker.isRunning()) throw new Error('usage worker is not running');
      await connection.ping();
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.worker?.close();
  }
}
