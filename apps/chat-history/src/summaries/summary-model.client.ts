import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { QueueEvents } from 'bullmq';
import { ChatMessage, GenerationResultSchema, inferenceQueueName } from '@llmp/contracts';
import { JobProducer, RedisFactory, platformConfig } from '@llmp/platform';
import { chatHistoryConfig } from '../config/chat-history.config';

/**
 * Asks the summary model through its inference queue (`chat.complete.v1`, not streamed, no reply channel) and
 * waits for the job's result through BullMQ's queue events.
 */
@Injectable()
export class SummaryModelClient implements OnApplicationBootstrap, OnApplicationShutdown {
  private events: Promise<QueueEvents> | undefined;

  constructor(
    private readonly jobs: JobProducer,
    private readonly redis: RedisFactory,
    @Inject(platformConfig.KEY) private readonly platform: ConfigType<typeof platformConfig>,
    @Inject(chatHistoryConfig.KEY) private readonly cfg: ConfigType<typeof chatHistoryConfig>,
  ) {}

  get model(): string {
    return this.cfg.summary.model;
  }

  /** Started at boot when summarization is on, so it reads the events stream before any summary job is added. */
  async onApplicationBootstrap(): Promise<void> {
    if (this.cfg.summary.triggerItems > 0) await this.queueEvents();
  }

  private queueEvents(): Promise<QueueEvents> {
    this.events ??= (async () => {
      const events = new QueueEvents(inferenceQueueName(this.model), {
        connection: this.redis.create('summary-queue-events'),
        prefix: this.platform.queuePrefix,
      });
      await events.waitUntilReady();
      return events;
    })();
    return this.events;
  }

  /** The model's answer; throws when the job fails or takes longer than CHAT_SUMMARY_TIMEOUT_MS. */
  async complete(messages: ChatMessage[], jobId: string): Promise<string> {
    const events = await this.queueEvents();
    const job = await this.jobs.add(
      inferenceQueueName(this.model),
      'chat.complete.v1',
      {
        requestId: jobId,
        model: this.model,
        stream: false,
        sampling: { maxTokens: this.cfg.summary.maxTokens, temperature: 0, stop: [] },
        messages,
      },
      { jobId, attempts: 1, removeOnComplete: { age: 600 }, removeOnFail: { age: 3600 } },
    );
    try {
      const result = await job.waitUntilFinished(events, this.cfg.summary.timeoutMs);
      return GenerationResultSchema.parse(result).text.trim();
    } catch (err) {
      // A job nobody took stays out of the model's queue; the summary job's retry asks again.
      await job.remove().catch(() => undefined);
      throw err;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.events) await (await this.events).close();
  }
}
