import { Injectable } from '@nestjs/common';
import type { JobResult } from '@llmp/contracts';
import { ConversationsRepository } from './conversations.repository';

const BATCH = 500;

/** The `conversation.purge-expired.v1` job: deletes expired conversations (their rows cascade) in batches. */
@Injectable()
export class ExpiredConversationsPurger {
  constructor(private readonly conversations: ConversationsRepository) {}

  async purge(): Promise<JobResult<'conversation.purge-expired.v1'>> {
    let total = 0;
    for (;;) {
      const deleted = await this.conversations.deleteExpired(BATCH);
      total += deleted;
      if (deleted < BATCH) return { conversations: total };
    }
  }
}
