import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { CHAT_HISTORY_QUEUE, JobPayload, memoryIndexJobId } from '@llmp/contracts';
import { JobProducer } from '@llmp/platform';
import { chatHistoryConfig } from '../config/chat-history.config';

/** Enqueues the memory jobs of the chat-history queue. */
@Injectable()
export class MemoryScheduler {
  private readonly logger = new Logger(MemoryScheduler.name);

  constructor(
    private readonly jobs: JobProducer,
    @Inject(chatHistoryConfig.KEY) private readonly cfg: ConfigType<typeof chatHistoryConfig>,
  ) {}

  /**
   * Called after an append committed, with its message items. A failure to enqueue is logged, not thrown: the items
   * are stored, only not recallable.
   */
  async index(conversationId: string, items: readonly { id: string; type: string }[]): Promise<void> {
    const itemIds = items.filter((i) => i.type === 'message').map((i) => i.id);
    if (!this.cfg.memory.enabled || !itemIds.length) return;
    try {
      await this.jobs.add(
        CHAT_HISTORY_QUEUE,
        'memory.index.v1',
        { conversationId, itemIds },
        {
          jobId: memoryIndexJobId(itemIds),
          attempts: 5,
          backoff: { type: 'exponential', delay: 2000 },
          removeOnComplete: { age: 600 },
          removeOnFail: { age: 24 * 3600 },
        },
      );
    } catch (err) {
      this.logger.warn({ err, conversationId }, 'could not enqueue memory.index.v1');
    }
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
