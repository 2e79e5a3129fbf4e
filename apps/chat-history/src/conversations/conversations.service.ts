import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import {
  CONVERSATION_ID_PREFIX,
  ConversationDeleted,
  ConversationExport,
  ConversationView,
  CreateConversationBody,
  ExportFormat,
  HistoryListQuery,
  ListPage,
  UpdateConversationBody,
} from '@llmp/contracts';
import { toListPage } from '@llmp/platform';
import { newId } from '../common/ids';
import { chatHistoryConfig } from '../config/chat-history.config';
import { ChatHistoryError } from '../errors/chat-history.error';
import { ItemsAppender } from '../items/items-appender.service';
import { ItemsRepository } from '../items/items.repository';
import { toItemView } from '../items/item-normalizer';
import { MemoryEraser } from '../memory/memory-eraser.service';
import { JobOutbox } from '../outbox/job-outbox.service';
import { renderExport } from './conversation-export';
import { toConversationView } from './conversation.view';
import { ConversationsRepository } from './conversations.repository';

@Injectable()
export class ConversationsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly conversations: ConversationsRepository,
    private readonly items: ItemsRepository,
    private readonly appender: ItemsAppender,
    private readonly outbox: JobOutbox,
    private readonly memoryEraser: MemoryEraser,
    @Inject(chatHistoryConfig.KEY) private readonly cfg: ConfigType<typeof chatHistoryConfig>,
  ) {}

  /** Creates the conversation and its first items in one transaction. */
  async create(userId: string, req: CreateConversationBody): Promise<ConversationView> {
    this.checkSystemPrompt(req.system_prompt);
    const { conversation, jobs } = await this.dataSource.transaction(async (em) => {
      const conversation = await this.conversations.insert(
        {
          id: newId(CONVERSATION_ID_PREFIX),
          userId,
          title: req.title ?? null,
          systemPrompt: req.system_prompt ?? null,
          metadata: req.metadata ?? {},
          ttlSeconds: req.ttl_seconds ?? null,
        },
        em,
      );
      const appended = req.items?.length ? await this.appender.append(em, conversation, req.items) : null;
      return { conversation, jobs: appended?.jobs ?? [] };
    });
    await this.outbox.dispatch(jobs);
    return toConversationView(conversation);
  }

  async get(userId: string, id: string): Promise<ConversationView> {
    return toConversationView(await this.require(userId, id));
  }

  async update(userId: string, id: string, req: UpdateConversationBody): Promise<ConversationView> {
    this.checkSystemPrompt(req.system_prompt);
    const updated = await this.conversations.update(userId, id, {
      title: req.title,
      systemPrompt: req.system_prompt,
      metadata: req.metadata === null ? {} : req.metadata,
      ttlSeconds: req.ttl_seconds,
    });
    if (!updated) throw ChatHistoryError.notFound('conversation');
    return toConversationView(updated);
  }

  async delete(userId: string, id: string): Promise<ConversationDeleted> {
    if (!(await this.conversations.deleteOwned(userId, id))) throw ChatHistoryError.notFound('conversation');
    await this.memoryEraser.forgetConversations([id]);
    return { id, object: 'conversation.deleted', deleted: true };
  }

  async list(userId: string, query: HistoryListQuery): Promise<ListPage<ConversationView>> {
    if (query.after !== undefined && !(await this.conversations.findOwned(userId, query.after))) {
      throw ChatHistoryError.notFound('conversation', 'after');
    }
    const rows = await this.conversations.listPage(userId, query.after, query.order, query.limit);
    return toListPage(rows, query.limit, toConversationView);
  }

  async export(userId: string, id: string, format: ExportFormat): Promise<ConversationExport> {
    const conversation = await this.require(userId, id);
    const items = await this.items.listAllOwned(userId, id);
    return renderExport(toConversationView(conversation), items.map(toItemView), format);
  }

  private async require(userId: string, id: string) {
    const conversation = await this.conversations.findOwned(userId, id);
    if (!conversation) throw ChatHistoryError.notFound('conversation');
    return conversation;
  }

  private checkSystemPrompt(prompt: string | null | undefined): void {
    if (prompt && prompt.length > this.cfg.systemPromptMaxChars) {
      throw ChatHistoryError.invalid(
        `system_prompt must be at most ${this.cfg.systemPromptMaxChars} characters (got ${prompt.length}).`,
        'system_prompt',
      );
    }
  }
}
