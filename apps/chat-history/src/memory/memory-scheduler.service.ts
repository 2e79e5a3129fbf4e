import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { CHAT_HISTORY_QUEUE, JobPayload, memoryIndexJobId } from '@llmp/contracts';
import { JobProducer } from '@llmp/platform';
import { chatHistoryConfig } from '../config/chat-history.config';
import type { OutboxJob } from '../outbox/outbox-job';

/** The memory jobs of the chat-history queue. */
@Injectable()
export class MemoryScheduler {
  private readonly logger = new Logger(MemoryScheduler.name);

  constructor(
    private readonly jobs: JobProducer,
    @Inject(chatHistoryConfig.KEY) private readonly cfg: ConfigType<typeof chatHistoryConfig>,
  ) {}

  /**
   * The `memory.index.v1` job of an append's message items, staged in the job outbox with them (it is enqueued
   * after the commit); null when there is nothing to index.
   */
  indexJob(conversationId: string, items: readonly { id: string; type: string }[]): OutboxJob | null {
    const itemIds = items.filter((i) => i.type === 'message').map((i) => i.id);
    if (!this.cfg.memory.enabled || !itemIds.length) return null;
    return {
      queue: CHAT_HISTORY_QUEUE,
      name: 'memory.index.v1',
      jobId: memoryIndexJobId(itemIds),
      payload: { conversationId, itemIds },
      options: {
        attempts: 5,
        backoff: { type: 'exponential', delay: 2000 },
        removeOnComplete: { age: 600 },
        removeOnFail: { age: 24 * 3600 },
      },
      conversationId,
    };
  }

  /** Retries a deletion the vector store refused, until it takes it. */
  async forgetLater(payload: JobPayload<'memory.forget.v1'>): Promise<void> {
    try {
      await this.jobs.add(CHAT_HISTORY_QUEUE, 'memory.forget.v1', payload, {
        attempts: 20,
        backoff: { type: 'exponential', delay: 5000 },
        removeOnComplete: { age: 600 },
        removeOnFail: { age: 7 * 24 * 3600 },
      });
    } catch (err) {
      // Recall checks every hit against the database, so leftover vectors are never shown; they stay on disk.
      this.logger.error({ err, payload }, 'could not enqueue memory.forget.v1: memory vectors left behind');
    }
  }
}
