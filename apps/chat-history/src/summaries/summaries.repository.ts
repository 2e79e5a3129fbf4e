import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { ConversationEntity } from '../conversations/conversation.entity';
import { ConversationSummaryEntity } from './conversation-summary.entity';

export interface NewSummary {
  id: string;
  conversationId: string;
  throughSeq: number;
  text: string;
  model: string | null;
}

@Injectable()
export class SummariesRepository {
  constructor(
    @InjectRepository(ConversationSummaryEntity) private readonly summaries: Repository<ConversationSummaryEntity>,
  ) {}

  private repo(em?: EntityManager): Repository<ConversationSummaryEntity> {
    return em ? em.getRepository(ConversationSummaryEntity) : this.summaries;
  }

  /** The summary reaching furthest into the conversation, or null. */
  findLatest(conversationId: string, em?: EntityManager): Promise<ConversationSummaryEntity | null> {
    return this.repo(em)
      .createQueryBuilder('s')
      .where('s.conversation_id = :conversationId', { conversationId })
      .orderBy('s.through_seq', 'DESC')
      .getOne();
  }

  /** Stores the summary unless one through the same seq exists; answers the stored one either way. */
  async insertOrGet(summary: NewSummary): Promise<ConversationSummaryEntity> {
    await this.summaries
      .createQueryBuilder()
      .insert()
      .into(ConversationSummaryEntity)
      .values(summary)
      .orIgnore()
      .execute();
    return (await this.summaries.findOneBy({
      conversationId: summary.conversationId,
      throughSeq: summary.throughSeq,
    }))!;
  }

  countOfUser(userId: string, em: EntityManager): Promise<number> {
    return this.repo(em)
      .createQueryBuilder('s')
      .innerJoin(ConversationEntity, 'c', 'c.id = s.conversation_id')
      .where('c.user_id = :userId', { userId })
      .getCount();
  }
}
