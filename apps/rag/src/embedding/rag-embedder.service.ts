import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { QueueEvents } from 'bullmq';
import { EmbedTextsV1ResultSchema, decodeVectors, embeddingQueueName } from '@llmp/contracts';
import { JobProducer, RedisFactory, platformConfig } from '@llmp/platform';
import { ragConfig } from '../config/rag.config';

/**
 * Embeds texts through a model's queue (`embed.texts.v1` on `embedding-<model>`, as an internal producer: no reply
 * channel) and waits for the job's return value through BullMQ's queue events, as chat-history's memory does.
 */
@Injectable()
export class RagEmbedder implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly events = new Map<string, Promise<QueueEvents>>();

  constructor(
    private readonly jobs: JobProducer,
    private readonly redis: RedisFactory,
    @Inject(platformConfig.KEY) private readonly platform: ConfigType<typeof platformConfig>,
    @Inject(ragConfig.KEY) private readonly cfg: ConfigType<typeof ragConfig>,
  ) {}

  /** The default model's events are read from boot, before the first job is added. */
  async onApplicationBootstrap(): Promise<void> {
    await this.queueEvents(this.cfg.embeddingModel);
  }

  private queueEvents(model: string): Promise<QueueEvents> {
    let events = this.events.get(model);
    if (!events) {
      events = (async () => {
        const e = new QueueEvents(embeddingQueueName(model), {
          connection: this.redis.create(`rag-embedding-events-${model}`),
          prefix: this.platform.queuePrefix,
        });
        await e.waitUntilReady();
        return e;
      })();
      events.catch(() => this.events.delete(model));
      this.events.set(model, events);
    }
    return events;
  }

  /**
   * One vector per text (unit length, or all zeros for a text the model has no tokens for). Throws when the job
   * fails or takes longer than RAG_EMBED_TIMEOUT_MS; a job still waiting then is taken back out of the queue.
   */
  async embed(model: string, texts: string[], jobId: string): Promise<Float32Array[]> {
    const events = await this.queueEvents(model);
    const job = await this.jobs.add(
      embeddingQueueName(model),
      'embed.texts.v1',
      { requestId: jobId, model, inputs: texts },
      { jobId, attempts: 1, removeOnComplete: { age: 300 }, removeOnFail: { age: 600 } },
    );
    try {
      const result = EmbedTextsV1ResultSchema.parse(await job.waitUntilFinished(events, this.cfg.embedTimeoutMs));
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
    for (const events of this.events.values()) await (await events.catch(() => null))?.close();
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
