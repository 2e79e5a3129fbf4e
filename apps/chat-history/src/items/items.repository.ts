import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository, SelectQueryBuilder } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import type { ItemType, MessageRole } from '@llmp/contracts';
import { ConversationEntity } from '../conversations/conversation.entity';
import { activeCondition } from '../conversations/conversations.repository';
import { ConversationItemEntity } from './conversation-item.entity';
import type { StoredItemBody } from './item-normalizer';

export interface NewItem {
  id: string;
  conversationId: string;
  seq: number;
  type: ItemType;
  role: MessageRole | null;
  body: StoredItemBody;
  responseId: string | null;
  idempotencyKey: string | null;
  position: number;
}

/**
 * Items of conversations. Queries for a caller join the conversation and require it to be the caller's and
 * active, so an item is never read through someone else's conversation id.
 */
@Injectable()
export class ItemsRepository {
  constructor(@InjectRepository(ConversationItemEntity) private readonly items: Repository<ConversationItemEntity>) {}

  private repo(em?: EntityManager): Repository<ConversationItemEntity> {
    return em ? em.getRepository(ConversationItemEntity) : this.items;
  }

  /** Items of the user's active conversation (alias `i`). */
  private ofOwned(
    userId: string,
    conversationId: string,
    em?: EntityManager,
  ): SelectQueryBuilder<ConversationItemEntity> {
    return this.repo(em)
      .createQueryBuilder('i')
      .innerJoin(ConversationEntity, 'c', 'c.id = i.conversation_id')
      .where(`i.conversation_id = :conversationId AND c.user_id = :userId AND ${activeCondition('c')}`, {
        conversationId,
        userId,
      });
  }

  async insertMany(items: NewItem[], em: EntityManager): Promise<ConversationItemEntity[]> {
    if (!items.length) return [];
    // The json body is opaque to TypeORM's deep-partial typing.
    await this.repo(em).insert(items as QueryDeepPartialEntity<ConversationItemEntity>[]);
    return this.repo(em)
      .createQueryBuilder('i')
      .where('i.id IN (:...ids)', { ids: items.map((i) => i.id) })
      .orderBy('i.seq', 'ASC')
      .getMany();
  }

  /** Items an earlier append with this idempotency key stored, in their original order. */
  findByIdempotencyKey(conversationId: string, key: string, em: EntityManager): Promise<ConversationItemEntity[]> {
    return this.repo(em)
      .createQueryBuilder('i')
      .where('i.conversation_id = :conversationId AND i.idempotency_key = :key', { conversationId, key })
      .orderBy('i.position', 'ASC')
      .getMany();
  }

  findOwned(userId: string, conversationId: string, itemId: string): Promise<ConversationItemEntity | null> {
    return this.ofOwned(userId, conversationId).andWhere('i.id = :itemId', { itemId }).getOne();
  }

  /** One page in seq order after the item `after` (which must exist: check with findOwned first); `limit + 1`. */
  listPage(
    userId: string,
    conversationId: string,
    after: ConversationItemEntity | null,
    order: 'asc' | 'desc',
    limit: number,
  ): Promise<ConversationItemEntity[]> {
    const qb = this.ofOwned(userId, conversationId).orderBy('i.seq', order === 'asc' ? 'ASC' : 'DESC');
    if (after) qb.andWhere(`i.seq ${order === 'asc' ? '>' : '<'} :afterSeq`, { afterSeq: after.seq });
    return qb.take(limit + 1).getMany();
  }

  /** Every item of the user's conversation, oldest first (exports). */
  listAllOwned(userId: string, conversationId: string): Promise<ConversationItemEntity[]> {
    return this.ofOwned(userId, conversationId).orderBy('i.seq', 'ASC').getMany();
  }

  /** The newest `limit` items with seq > afterSeq of the user's conversation, returned oldest first. */
  async listNewestAfterOwned(
    userId: string,
    conversationId: string,
    afterSeq: number,
    limit: number,
  ): Promise<ConversationItemEntity[]> {
    const rows = await this.ofOwned(userId, conversationId)
      .andWhere('i.seq > :afterSeq', { afterSeq })
      .orderBy('i.seq', 'DESC')
      .take(limit)
      .getMany();
    return rows.reverse();
  }

  /** Items with fromSeq < seq ≤ throughSeq, oldest first (the summarizer job; not user-scoped). */
  listRange(conversationId: string, fromSeq: number, throughSeq: number): Promise<ConversationItemEntity[]> {
    return this.items
      .createQueryBuilder('i')
      .where('i.conversation_id = :conversationId AND i.seq > :fromSeq AND i.seq <= :throughSeq', {
        conversationId,
        fromSeq,
        throughSeq,
      })
      .orderBy('i.seq', 'ASC')
      .getMany();
  }

  countAfter(conversationId: string, afterSeq: number, em: EntityManager): Promise<number> {
    return this.repo(em)
      .createQueryBuilder('i')
      .where('i.conversation_id = :conversationId AND i.seq > :afterSeq', { conversationId, afterSeq })
      .getCount();
  }

  /** The seq of the item `offset` places before the newest one (0 = the newest); null if there are fewer. */
  async seqBeforeNewest(conversationId: string, offset: number, em: EntityManager): Promise<number | null> {
    const row = await this.repo(em)
      .createQueryBuilder('i')
      .select('i.seq', 'seq')
      .where('i.conversation_id = :conversationId', { conversationId })
      .orderBy('i.seq', 'DESC')
      .offset(offset)
      .limit(1)
      .getRawOne<{ seq: number }>();
    return row ? row.seq : null;
  }

  /** The items with these ids of a conversation, oldest first (the memory index job; not user-scoped). */
  findByIds(conversationId: string, ids: readonly string[]): Promise<ConversationItemEntity[]> {
    if (!ids.length) return Promise.resolve([]);
    return this.items
      .createQueryBuilder('i')
      .where('i.conversation_id = :conversationId AND i.id IN (:...ids)', { conversationId, ids: [...ids] })
      .orderBy('i.seq', 'ASC')
      .getMany();
  }

  /** The items with these ids in any of the user's active conversations (memory recall). */
  findOwnedByIds(userId: string, ids: readonly string[]): Promise<ConversationItemEntity[]> {
    if (!ids.length) return Promise.resolve([]);
    return this.items
      .createQueryBuilder('i')
      .innerJoin(ConversationEntity, 'c', 'c.id = i.conversation_id')
      .where(`i.id IN (:...ids) AND c.user_id = :userId AND ${activeCondition('c')}`, { ids: [...ids], userId })
      .getMany();
  }

  async deleteOwned(userId: string, conversationId: string, itemId: string): Promise<boolean> {
    const res = await this.items
      .createQueryBuilder()
      .delete()
      .from(ConversationItemEntity)
      .where(
        `id = :itemId AND conversation_id = :conversationId AND conversation_id IN (SELECT c.id FROM "chat_history"."conversations" c WHERE c.user_id = :userId AND ${activeCondition('c')})`,
        { itemId, conversationId, userId },
      )
      .execute();
    return (res.affected ?? 0) > 0;
  }

  /** How many items the user's conversations hold (reported by the user purge). */
  countOfUser(userId: string, em: EntityManager): Promise<number> {
    return this.repo(em)
      .createQueryBuilder('i')
      .innerJoin(ConversationEntity, 'c', 'c.id = i.conversation_id')
      .where('c.user_id = :userId', { userId })
      .getCount();
  }
}
