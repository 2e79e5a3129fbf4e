import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { DelayedError, Job, Worker } from 'bullmq';
import { BATCH_QUEUE } from '@llmp/contracts';
import { JobClient } from '@llmp/job-client';
import { JobHandlers, ReadinessRegistry, RedisFactory, createTypedWorker, platformConfig } from '@llmp/platform';
import { gatewayConfig } from '../config/gateway.config';
import { BATCH_JOB_CLIENT } from './batch.constants';
import { BatchDrained, BatchRunner } from './batch-runner.service';

/** A batch run's lock: renewed by the worker while it runs; lost when the replica dies, and the run is taken over. */
const LOCK_MS = 60_000;
/** Takeovers after crashes before BullMQ gives a batch up (each resumes where the last stopped). */
const MAX_STALLS = 1000;
/** How long a draining replica lets its batches' lines in flight finish before cancelling them. */
const DRAIN_GRACE_MS = 10_000;

/**
 * The `batch` queue's worker, inside the gateway (BATCH_RUNNER=true, the default; any replica may run any batch).
 * A replica that dies mid-batch loses the lock: BullMQ hands the run to another replica (or this one restarted),
 * which resumes from the persisted lines. A replica that shuts down hands its runs back at once instead: the lines
 * in flight finish (up to DRAIN_GRACE_MS), the job goes back to the queue without spending an attempt.
 */
@Injectable()
export class BatchProcessor implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(BatchProcessor.name);
  private worker: Worker | undefined;

  constructor(
    private readonly runner: BatchRunner,
    private readonly redis: RedisFactory,
    private readonly readiness: ReadinessRegistry,
    @Inject(BATCH_JOB_CLIENT) private readonly jobs: JobClient,
    @Inject(platformConfig.KEY) private readonly platform: ConfigType<typeof platformConfig>,
    @Inject(gatewayConfig.KEY) private readonly cfg: ConfigType<typeof gatewayConfig>,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.cfg.batch.runner) return;
    const handlers: JobHandlers<'batch'> = {
      'batch.run.v1': (payload, job) => this.run(payload.batchId, job),
    };
    this.worker = createTypedWorker('batch', BATCH_QUEUE, handlers, {
      connection: this.redis.create('batch-worker'),
      prefix: this.platform.queuePrefix,
      concurrency: this.cfg.batch.runnerConcurrency,
      lockDuration: LOCK_MS,
      stalledInterval: LOCK_MS / 2,
      maxStalledCount: MAX_STALLS,
    });
    this.worker.on('error', (err) => this.logger.warn(`batch worker: ${err.message}`));
    this.worker.on('failed', (job, err) => this.logger.error({ err, batchId: job?.data?.batchId }, 'batch run failed'));
    const worker = this.worker;
    this.readiness.register('batch-worker', async () => {
      if (!(await worker.isRunning())) throw new Error('the batch worker is not running');
    });
  }

  private async run(batchId: string, job: Job) {
    try {
      return await this.runner.run(batchId);
    } catch (err) {
      if (!(err instanceof BatchDrained)) throw err;
      // Back to the queue at once, for another replica (or this one restarted); no attempt is spent.
      await job.moveToDelayed(Date.now() + 1000, job.token);
      throw new DelayedError();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.worker) {
      await this.runner.drain(DRAIN_GRACE_MS);
      await this.worker.close();
    }
    await this.jobs.close();
  }
}
