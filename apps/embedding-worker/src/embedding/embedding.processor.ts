import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Job, UnrecoverableError, Worker } from 'bullmq';
import {
  EmbedTextsV1Payload,
  EmbedTextsV1Result,
  InferenceErrorCode,
  embeddingQueueName,
  float32ToBase64,
} from '@llmp/contracts';
import { JobHandlers, RedisFactory, createTypedWorker, platformConfig } from '@llmp/platform';
import { embeddingWorkerConfig } from '../config/embedding-worker.config';
import { EmbeddingMetrics } from '../metrics/embedding.metrics';
import { EmbeddingModelHost, LoadedEmbeddingModel } from '../models/embedding-model-host.service';
import { EmbeddingError } from './embedding-error';
import { EmbeddingEventPublisher } from './embedding-event-publisher';
import { EmbeddingService } from './embedding.service';

/**
 * One BullMQ worker per served model on `embedding-<model>`, taking up to the model's `concurrency` jobs at once:
 * their inputs meet in the model's batcher, so concurrent single-text requests share model calls. A job with a
 * `replyTo` gets its vectors published there (its return value then omits them); an internal job reads them from
 * the return value.
 */
@Injectable()
export class EmbeddingProcessor implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(EmbeddingProcessor.name);
  private readonly workers: Worker[] = [];

  constructor(
    private readonly host: EmbeddingModelHost,
    private readonly embedding: EmbeddingService,
    private readonly redis: RedisFactory,
    private readonly metrics: EmbeddingMetrics,
    @Inject(platformConfig.KEY) private readonly platform: ConfigType<typeof platformConfig>,
    @Inject(embeddingWorkerConfig.KEY) private readonly cfg: ConfigType<typeof embeddingWorkerConfig>,
  ) {}

  onApplicationBootstrap(): void {
    for (const model of this.host.models) {
      const handlers: JobHandlers<'embedding'> = {
        'embed.texts.v1': (payload, job) => this.run(model, job, payload),
      };
      const queue = embeddingQueueName(model.id);
      const worker = createTypedWorker('embedding', queue, handlers, {
        connection: this.redis.create(`embedding-worker-${model.id}`),
        prefix: this.platform.queuePrefix,
        concurrency: model.definition.concurrency,
        lockDuration: this.cfg.lockDurationMs,
        stalledInterval: Math.max(1000, Math.floor(this.cfg.lockDurationMs / 2)),
        maxStalledCount: this.cfg.maxStalledCount,
      });
      worker.on('error', (err) => this.logger.warn(`worker ${model.id}: ${err.message}`));
      this.workers.push(worker);
      this.logger.log(`Consuming ${queue}, ${model.definition.concurrency} jobs at once`);
    }
  }

  private async run(model: LoadedEmbeddingModel, job: Job, payload: EmbedTextsV1Payload): Promise<EmbedTextsV1Result> {
    const labels = { model: model.id };
    const events = payload.replyTo
      ? new EmbeddingEventPublisher(this.redis.client(), payload.replyTo.channel, job.id!)
      : null;
    const started = performance.now();
    this.metrics.queueWait.observe(labels, Math.max(0, (job.processedOn ?? Date.now()) - job.timestamp) / 1000);
    try {
      const out = await this.embedding.embed(model, payload);
      const vectors = float32ToBase64(out.vectors);
      const result: EmbedTextsV1Result = {
        dims: out.dims,
        count: out.count,
        promptTokens: out.promptTokens,
        tokens: out.tokens,
        ...(out.errors.length ? { errors: out.errors } : {}),
      };
      await events?.embeddings({ ...result, vectors });
      this.metrics.jobSeconds.observe(labels, (performance.now() - started) / 1000);
      const rejected = out.errors.reduce((n, e) => n + payload.groups![e.group]!, 0);
      this.metrics.texts.inc(labels, out.count - rejected);
      this.metrics.promptTokens.inc(labels, out.promptTokens);
      this.metrics.jobs.inc({ ...labels, outcome: 'completed' });
      return events ? result : { ...result, vectors };
    } catch (err) {
      if (err instanceof EmbeddingError) {
        await events?.error(err.code, err.message, false, err.param);
        this.metrics.jobs.inc({ ...labels, outcome: 'rejected' });
        throw new UnrecoverableError(`${err.code}: ${err.message}`);
      }
      const retrying = job.attemptsMade + 1 < (job.opts.attempts ?? 1);
      this.logger.error({ err, jobId: job.id, requestId: payload.requestId }, `job ${job.id} failed`);
      await events?.error(InferenceErrorCode.WorkerFailed, `Embedding failed: ${(err as Error).message}`, retrying);
      this.metrics.jobs.inc({ ...labels, outcome: 'failed' });
      throw err;
    }
  }

  /** Before the models are unloaded: running jobs finish; jobs not yet taken stay in the queue for another worker. */
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
  }
}
