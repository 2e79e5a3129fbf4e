import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { UserHistoryPurged } from '@llmp/contracts';
import { ConversationsRepository } from '../conversations/conversations.repository';
import { ItemsRepository } from '../items/items.repository';
import { MemoryEraser } from '../memory/memory-eraser.service';
import { ResponsesRepository } from '../responses/responses.repository';
import { SummariesRepository } from '../summaries/summaries.repository';

@Injectable()
export class UserHistoryService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly conversations: ConversationsRepository,
    private readonly items: ItemsRepository,
    private readonly summaries: SummariesRepository,
    private readonly responses: ResponsesRepository,
    private readonly memory: MemoryEraser,
  ) {}

  /**
   * Deletes everything the service holds for the user, the rows in one transaction, then the memory vectors, and
   * says how much it was.
   */
  async purge(userId: string): Promise<UserHistoryPurged> {
    const deleted = await this.dataSource.transaction(async (em) => {
      const items = await this.items.countOfUser(userId, em);
      const summaries = await this.summaries.countOfUser(userId, em);
      const responses = await this.responses.deleteAllOfUser(userId, em);
      const conversations = await this.conversations.deleteAllOfUser(userId, em);
      return { conversations, items, summaries, responses };
    });
    const memories = await this.memory.forgetUser(userId);
    return { userId, object: 'chat_history.user.purged', deleted: { ...deleted, memories } };
  }
}
