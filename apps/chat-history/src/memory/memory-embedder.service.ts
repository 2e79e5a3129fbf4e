import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { QueueEvents } from 'bullmq';
import { EmbedTextsV1ResultSchema, decodeVectors, embeddingQueueName } from '@llmp/contracts';
import { JobProducer, RedisFactory, platformConfig } from '@llmp/platform';
import { chatHistoryConfig } from '../config/chat-history.config';

/** How long a worker count is trusted: a present worker for a while, an absent one only briefly. */
const WORKERS_PRESENT_TTL_MS = 10_000;
const WORKERS_ABSENT_TTL_MS = 1000;

/**
 * Embeds texts with the memory's embedding model through its queue (`embed.texts.v1` on `embedding-<model>`, no
 * reply channel) and waits for the job's return value through BullMQ's queue events.
 */
@Injectable()
export class MemoryEmbedder implements OnApplicationBootstrap, OnApplicationShutdown {
  private events: Promise<QueueEvents> | undefined;
  private workers: { until: number; present: Promise<boolean> } | undefined;

  constructor(
    private readonly jobs: JobProducer,
    private readonly redis: RedisFactory,
    @Inject(platformConfig.KEY) private readonly platform: ConfigType<typeof platformConfig>,
    @Inject(chatHistoryConfig.KEY) private readonly cfg: ConfigType<typeof chatHistoryConfig>,
  ) {}

  get model(): string {
    return this.cfg.memory.model;
  }

  private get queueName(): string {
    return embeddingQueueName(this.model);
  }

  /** Started at boot when memory is on, so it reads the events stream before the first job is added. */
  async onApplicationBootstrap(): Promise<void> {
    if (this.cfg.memory.enabled) await this.queueEvents();
  }

  private queueEvents(): Promise<QueueEvents> {
    this.events ??= (async () => {
      const events = new QueueEvents(this.queueName, {
        connection: this.redis.create('memory-embedding-events'),
        prefix: this.platform.queuePrefix,
      });
      await events.waitUntilReady();
      return events;
    })();
    return this.events;
  }

  /**
   * Whether a worker consumes the model's queue, so nobody waits for a job no one will take. Redis's client list
   * tells; where it cannot (a managed Redis without CLIENT LIST), a worker is assumed.
   */
  hasWorkers(): Promise<boolean> {
    if (!this.workers || Date.now() > this.workers.until) {
      const present = this.jobs
        .queue(this.queueName)
        .getWorkersCount()
        .then(
          (n) => n > 0,
          () => true,
        );
      const entry = { until: Date.now() + WORKERS_PRESENT_TTL_MS, present };
      void present.then((yes) => {
        if (!yes) entry.until = Date.now() + WORKERS_ABSENT_TTL_MS;
      });
      this.workers = entry;
    }
    return this.workers.present;
  }

  /**
   * One vector per text (unit length, or all zeros for a text the model has no tokens for). Throws when the job
   * fails or takes longer than `timeoutMs`; a job still waiting then is taken back out of the queue.
   */
  async embed(texts: string[], opts: { jobId: string; timeoutMs: number }): Promise<Float32Array[]> {
    const events = await this.queueEvents();
    const job = await this.jobs.add(
      this.queueName,
      'embed.texts.v1',
      { requestId: opts.jobId, model: this.model, inputs: texts },
      { jobId: opts.jobId, attempts: 1, removeOnComplete: { age: 60 }, removeOnFail: { age: 600 } },
    );
    try {
      const result = EmbedTextsV1ResultSchema.parse(await job.waitUntilFinished(events, opts.timeoutMs));
      if (result.vectors === undefined || result.count !== texts.length) {
        throw new Error(`embedding job ${job.id} answered ${result.count} vectors for ${texts.length} texts`);
      }
      const flat = decodeVectors(result.vectors, result.count, result.dims);
      return Array.from({ length: result.count }, (_, i) => flat.subarray(i * result.dims, (i + 1) * result.dims));
    } catch (err) {
      await job.remove().catch(() => undefined);
      throw err;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.events) await (await this.events).close();
  }
}

/** Whether a vector can be searched with: finite and not all zeros (the model had no tokens for the text). */
export function isUsableVector(vector: Float32Array): boolean {
  let any = false;
  for (const x of vector) {
    if (!Number.isFinite(x)) return false;
    if (x !== 0) any = true;
  }
  return any;
}
