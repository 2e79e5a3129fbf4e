import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Worker } from 'bullmq';
import { RAG_INGEST_QUEUE } from '@llmp/contracts';
import { JobHandlers, ReadinessRegistry, RedisFactory, createTypedWorker, platformConfig } from '@llmp/platform';
import { ragConfig } from '../config/rag.config';
import { IngestService } from './pipeline/ingest.service';

/** Consumes the `rag-ingest` queue, RAG_INGEST_CONCURRENCY jobs at once per replica. */
@Injectable()
export class IngestProcessor implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(IngestProcessor.name);
  private worker: Worker | undefined;

  constructor(
    private readonly ingest: IngestService,
    private readonly redis: RedisFactory,
    private readonly readiness: ReadinessRegistry,
    @Inject(platformConfig.KEY) private readonly platform: ConfigType<typeof platformConfig>,
    @Inject(ragConfig.KEY) private readonly cfg: ConfigType<typeof ragConfig>,
  ) {}

  onApplicationBootstrap(): void {
    const handlers: JobHandlers<'rag-ingest'> = {
      'rag.ingest.v1': (payload, job) => this.ingest.ingest(payload, job),
    };
    const connection = this.redis.create('rag-ingest-worker');
    const worker = createTypedWorker('rag-ingest', RAG_INGEST_QUEUE, handlers, {
      connection,
      prefix: this.platform.queuePrefix,
      concurrency: this.cfg.ingest.concurrency,
    });
    worker.on('error', (err) => this.logger.warn(`rag-ingest worker: ${err.message}`));
    worker.on('failed', (job, err) =>
      this.logger.warn({ jobId: job?.id, name: job?.name, err: err.message }, 'rag ingest job failed'),
    );
    this.worker = worker;
    this.readiness.register('rag-ingest-worker', async () => {
      if (!worker.isRunning()) throw new Error('rag-ingest worker is not running');
      await connection.ping();
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.worker?.close();
  }
}
