import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Worker } from 'bullmq';
import { CHAT_HISTORY_QUEUE } from '@llmp/contracts';
import {
  JobHandlers,
  JobProducer,
  ReadinessRegistry,
  RedisFactory,
  createTypedWorker,
  platformConfig,
} from '@llmp/platform';
import { chatHistoryConfig } from '../config/chat-history.config';
import { ExpiredConversationsPurger } from '../conversations/expired-conversations.purger';
import { MemoryEraser } from '../memory/memory-eraser.service';
import { MemoryIndexer } from '../memory/memory-indexer.service';
import { JobOutbox } from '../outbox/job-outbox.service';
import { SummarizerService } from '../summaries/summarizer.service';

/** Scheduler id of the repeatable purge; every replica upserts the same one. */
export const PURGE_SCHEDULER_ID = 'conversation.purge-expired';

/**
 * Consumes the `chat-history` queue (summaries, expiry purges, the memory index) and keeps the repeatable purge scheduled every
 * CHAT_PURGE_INTERVAL_S.
 */
@Injectable()
export class ChatHistoryProcessor implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ChatHistoryProcessor.name);
  private worker: Worker | undefined;

  constructor(
    private readonly summarizer: SummarizerService,
    private readonly purger: ExpiredConversationsPurger,
    private readonly memoryIndexer: MemoryIndexer,
    private readonly memoryEraser: MemoryEraser,
    private readonly outbox: JobOutbox,
    private readonly jobs: JobProducer,
    private readonly redis: RedisFactory,
    private readonly readiness: ReadinessRegistry,
    @Inject(platformConfig.KEY) private readonly platform: ConfigType<typeof platformConfig>,
    @Inject(chatHistoryConfig.KEY) private readonly cfg: ConfigType<typeof chatHistoryConfig>,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const handlers: JobHandlers<'chat-history'> = {
      // The jobs appends stage in the job outbox take their row out once the work is done (before the job completes,
      // so a row left behind always means work left to do).
      'conversation.summarize.v1': async (payload, job) => {
        const result = await this.summarizer.summarize(payload, job);
        await this.outbox.settle(job.id);
        return result;
      },
      'conversation.purge-expired.v1': () => this.purger.purge(),
      'memory.index.v1': async (payload, job) => {
        const result = await this.memoryIndexer.index(payload, job);
        await this.outbox.settle(job.id);
        return result;
      },
      'memory.forget.v1': (payload) => this.memoryEraser.forget(payload),
    };
    const connection = this.redis.create('chat-history-worker');
    const worker = createTypedWorker('chat-history', CHAT_HISTORY_QUEUE, handlers, {
      connection,
      prefix: this.platform.queuePrefix,
      concurrency: this.cfg.workerConcurrency,
    });
    worker.on('error', (err) => this.logger.warn(`chat-history worker: ${err.message}`));
    worker.on('failed', (job, err) =>
      this.logger.warn({ jobId: job?.id, name: job?.name, err: err.message }, 'chat-history job failed'),
    );
    this.worker = worker;
    this.readiness.register('chat-history-worker', async () => {
      if (!worker.isRunning()) throw new Error('chat-history worker is not running');
      await connection.ping();
    });

    await this.jobs.queue(CHAT_HISTORY_QUEUE).upsertJobScheduler(
      PURGE_SCHEDULER_ID,
      { every: this.cfg.purgeIntervalMs },
      {
        name: 'conversation.purge-expired.v1',
        data: {},
        opts: { removeOnComplete: { count: 10 }, removeOnFail: { count: 100 } },
      },
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.worker?.close();
  }
}
