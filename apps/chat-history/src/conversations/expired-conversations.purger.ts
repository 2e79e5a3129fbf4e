import { Injectable } from '@nestjs/common';
import type { JobResult } from '@llmp/contracts';
import { MemoryEraser } from '../memory/memory-eraser.service';
import { ConversationsRepository } from './conversations.repository';

const BATCH = 500;

/**
 * The `conversation.purge-expired.v1` job: deletes expired conversations (their rows cascade) in batches, and
 * their memory vectors.
 */
@Injectable()
export class ExpiredConversationsPurger {
  constructor(
    private readonly conversations: ConversationsRepository,
    private readonly memory: MemoryEraser,
  ) {}

  async purge(): Promise<JobResult<'conversation.purge-expired.v1'>> {
    let total = 0;
    for (;;) {
      const deleted = await this.conversations.deleteExpired(BATCH);
      total += deleted.length;
      await this.memory.forgetConversations(deleted);
      if (deleted.length < BATCH) return { conversations: total };
    }
  }
}
