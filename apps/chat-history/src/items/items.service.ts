import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { ConversationView, HistoryListQuery, ItemInput, ItemView, ListPage } from '@llmp/contracts';
import { toListPage } from '@llmp/platform';
import { toConversationView } from '../conversations/conversation.view';
import { ConversationsRepository } from '../conversations/conversations.repository';
import { ChatHistoryError } from '../errors/chat-history.error';
import { MemoryEraser } from '../memory/memory-eraser.service';
import { JobOutbox } from '../outbox/job-outbox.service';
import { AppendOptions, ItemsAppender } from './items-appender.service';
import { ItemsRepository } from './items.repository';
import { toItemView } from './item-normalizer';

@Injectable()
export class ItemsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly conversations: ConversationsRepository,
    private readonly items: ItemsRepository,
    private readonly appender: ItemsAppender,
    private readonly outbox: JobOutbox,
    private readonly memoryEraser: MemoryEraser,
  ) {}

  /**
   * Appends the items in one transaction under a row lock on the conversation, so concurrent appends are all kept
   * in the order they got the lock. A retry with the same idempotency key answers the first call's items. The jobs
   * the append staged (summary, memory index) are enqueued once it has committed.
   */
  async create(
    userId: string,
    conversationId: string,
    inputs: ItemInput[],
    opts: AppendOptions,
  ): Promise<ListPage<ItemView>> {
    const result = await this.dataSource.transaction(async (em) => {
      const conversation = await this.conversations.findOwnedForUpdate(userId, conversationId, em);
      if (!conversation) throw ChatHistoryError.notFound('conversation', 'conversationId');
      return this.appender.append(em, conversation, inputs, opts);
    });
    await this.outbox.dispatch(result.jobs);
    return toListPage(result.items, result.items.length, toItemView);
  }

  async list(userId: string, conversationId: string, query: HistoryListQuery): Promise<ListPage<ItemView>> {
    await this.requireConversation(userId, conversationId);
    let after = null;
    if (query.after !== undefined) {
      after = await this.items.findOwned(userId, conversationId, query.after);
      if (!after) throw ChatHistoryError.notFound('item', 'after');
    }
    const rows = await this.items.listPage(userId, conversationId, after, query.order, query.limit);
    return toListPage(rows, query.limit, toItemView);
  }

  async get(userId: string, conversationId: string, itemId: string): Promise<ItemView> {
    await this.requireConversation(userId, conversationId);
    const item = await this.items.findOwned(userId, conversationId, itemId);
    if (!item) throw ChatHistoryError.notFound('item', 'itemId');
    return toItemView(item);
  }

  /** Deletes the item; answers the conversation, as OpenAI's API does. */
  async delete(userId: string, conversationId: string, itemId: string): Promise<ConversationView> {
    await this.requireConversation(userId, conversationId);
    if (!(await this.items.deleteOwned(userId, conversationId, itemId))) {
      throw ChatHistoryError.notFound('item', 'itemId');
    }
    await this.memoryEraser.forgetItems([itemId]);
    return toConversationView(await this.requireConversation(userId, conversationId));
  }

  private async requireConversation(userId: string, conversationId: string) {
    const conversation = await this.conversations.findOwned(userId, conversationId);
    if (!conversation) throw ChatHistoryError.notFound('conversation', 'conversationId');
    return conversation;
  }
}
