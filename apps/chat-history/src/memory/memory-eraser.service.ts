import { Inject, Injectable, Logger } from '@nestjs/common';
import type { JobPayload, JobResult, ParsedJobPayload } from '@llmp/contracts';
import { VECTOR_STORE, VectorStore } from '@llmp/platform';
import { CHAT_MEMORY_COLLECTION } from './memory.constants';
import { MemoryScheduler } from './memory-scheduler.service';

/**
 * Removes memory vectors with what they were made from: a conversation, an item, everything of a user. Done at
 * once, after the rows are deleted; if the vector store fails, a `memory.forget.v1` job retries it. (Memory is
 * deleted whether or not CHAT_MEMORY_ENABLED is on now: it may have been before.)
 */
@Injectable()
export class MemoryEraser {
  private readonly logger = new Logger(MemoryEraser.name);

  constructor(
    @Inject(VECTOR_STORE) private readonly store: VectorStore,
    private readonly scheduler: MemoryScheduler,
  ) {}

  forgetConversations(conversationIds: string[]): Promise<number> {
    if (!conversationIds.length) return Promise.resolve(0);
    return this.now({ conversationIds });
  }

  forgetItems(itemIds: string[]): Promise<number> {
    if (!itemIds.length) return Promise.resolve(0);
    return this.now({ itemIds });
  }

  forgetUser(userId: string): Promise<number> {
    return this.now({ userId });
  }

  /** The `memory.forget.v1` job: throws (and is retried) while the vector store fails. */
  async forget(payload: ParsedJobPayload<'memory.forget.v1'>): Promise<JobResult<'memory.forget.v1'>> {
    let deleted = 0;
    if (payload.userId !== undefined) {
      deleted += await this.store.deleteWhere(CHAT_MEMORY_COLLECTION, { user_id: payload.userId });
    }
    if (payload.conversationIds?.length) {
      deleted += await this.store.deleteWhere(CHAT_MEMORY_COLLECTION, { conversation_id: payload.conversationIds });
    }
    if (payload.itemIds?.length) deleted += await this.store.deleteIds(CHAT_MEMORY_COLLECTION, payload.itemIds);
    return { deleted };
  }

  private async now(payload: JobPayload<'memory.forget.v1'>): Promise<number> {
    try {
      return (await this.forget(payload)).deleted;
    } catch (err) {
      this.logger.warn({ err, payload }, 'deleting memory vectors failed; retrying in the background');
      await this.scheduler.forgetLater(payload);
      return 0;
    }
  }
}
