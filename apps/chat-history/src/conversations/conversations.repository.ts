import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository, SelectQueryBuilder } from 'typeorm';
import type { Metadata } from '@llmp/contracts';
import { ConversationEntity } from './conversation.entity';

/** SQL condition: the conversation (`alias`, or the statement's table) has not expired. */
export function activeCondition(alias?: string): string {
  const col = alias ? `${alias}.expires_at` : 'expires_at';
  return `(${col} IS NULL OR ${col} > now())`;
}

export interface NewConversation {
  id: string;
  userId: string;
  title: string | null;
  systemPrompt: string | null;
  metadata: Metadata;
  ttlSeconds: number | null;
}

export interface ConversationChanges {
  title?: string | null;
  systemPrompt?: string | null;
  metadata?: Metadata;
  /** null removes the expiry; a number restarts it from now. */
  ttlSeconds?: number | null;
}

/**
 * Conversations. Every query of a caller's request is scoped to the caller's user id and to conversations that
 * have not expired; methods without a user id serve the service's own jobs. Methods take an optional
 * EntityManager so the service can run them in one transaction.
 */
@Injectable()
export class ConversationsRepository {
  constructor(@InjectRepository(ConversationEntity) private readonly conversations: Repository<ConversationEntity>) {}

  private repo(em?: EntityManager): Repository<ConversationEntity> {
    return em ? em.getRepository(ConversationEntity) : this.conversations;
  }

  private owned(userId: string, id: string, em?: EntityManager): SelectQueryBuilder<ConversationEntity> {
    return this.repo(em)
      .createQueryBuilder('c')
      .where(`c.id = :id AND c.user_id = :userId AND ${activeCondition('c')}`, { id, userId });
  }

  async insert(c: NewConversation, em?: EntityManager): Promise<ConversationEntity> {
    const rows = await this.repo(em).query(
      `INSERT INTO "chat_history"."conversations" ("id", "user_id", "title", "system_prompt", "metadata", "ttl_seconds", "expires_at")
       VALUES ($1, $2, $3, $4, $5, $6::integer, CASE WHEN $6::integer IS NULL THEN NULL ELSE now() + make_interval(secs => $6::integer) END)
       RETURNING "id"`,
      [c.id, c.userId, c.title, c.systemPrompt, JSON.stringify(c.metadata), c.ttlSeconds],
    );
    const id = (rows as { id: string }[])[0]!.id;
    return (await this.repo(em).findOneBy({ id }))!;
  }

  findOwned(userId: string, id: string): Promise<ConversationEntity | null> {
    return this.owned(userId, id).getOne();
  }

  /** Locks the user's conversation row until the transaction ends: appends to one conversation are serialised. */
  findOwnedForUpdate(userId: string, id: string, em: EntityManager): Promise<ConversationEntity | null> {
    return this.owned(userId, id, em).setLock('pessimistic_write').getOne();
  }

  /** An active conversation whoever owns it (the summarizer job). */
  findActive(id: string, em?: EntityManager): Promise<ConversationEntity | null> {
    return this.repo(em)
      .createQueryBuilder('c')
      .where(`c.id = :id AND ${activeCondition('c')}`, { id })
      .getOne();
  }

  async setLastSeq(id: string, lastSeq: number, em: EntityManager): Promise<void> {
    await this.repo(em).update({ id }, { lastSeq, updatedAt: () => 'now()' });
  }

  async setSummaryRequestedThrough(id: string, throughSeq: number, em: EntityManager): Promise<void> {
    await this.repo(em).update({ id }, { summaryRequestedThrough: throughSeq });
  }

  /** Applies the changes to the user's active conversation; null when there is none. */
  async update(userId: string, id: string, changes: ConversationChanges): Promise<ConversationEntity | null> {
    const set: Record<string, unknown> = { updatedAt: () => 'now()' };
    if (changes.title !== undefined) set.title = changes.title;
    if (changes.systemPrompt !== undefined) set.systemPrompt = changes.systemPrompt;
    if (changes.metadata !== undefined) set.metadata = changes.metadata;
    if (changes.ttlSeconds !== undefined) {
      set.ttlSeconds = changes.ttlSeconds;
      set.expiresAt = changes.ttlSeconds === null ? null : () => 'now() + make_interval(secs => :ttl)';
    }
    const res = await this.conversations
      .createQueryBuilder()
      .update(ConversationEntity)
      .set(set)
      .where(`id = :id AND user_id = :userId AND ${activeCondition()}`, { id, userId })
      .setParameters({ ttl: changes.ttlSeconds ?? null })
      .execute();
    if (!res.affected) return null;
    return this.findOwned(userId, id);
  }

  /** Deletes the user's active conversation (items, summaries and its responses go with it); false if none. */
  async deleteOwned(userId: string, id: string): Promise<boolean> {
    const res = await this.conversations
      .createQueryBuilder()
      .delete()
      .from(ConversationEntity)
      .where(`id = :id AND user_id = :userId AND ${activeCondition()}`, { id, userId })
      .execute();
    return (res.affected ?? 0) > 0;
  }

  /**
   * One page of the user's active conversations in (created_at, id) order, after the conversation `after`
   * (which must be the user's: check with findOwned first); `limit + 1` rows.
   */
  listPage(userId: string, after: string | undefined, order: 'asc' | 'desc', limit: number) {
    const dir = order === 'asc' ? 'ASC' : 'DESC';
    const qb = this.conversations
      .createQueryBuilder('c')
      .where(`c.user_id = :userId AND ${activeCondition('c')}`, { userId })
      .orderBy('c.created_at', dir)
      .addOrderBy('c.id', dir);
    if (after !== undefined) {
      qb.andWhere(
        `(c.created_at, c.id) ${order === 'asc' ? '>' : '<'} (SELECT a.created_at, a.id FROM "chat_history"."conversations" a WHERE a.id = :after AND a.user_id = :userId)`,
        { after },
      );
    }
    return qb.take(limit + 1).getMany();
  }

  /** Deletes up to `batch` expired conversations (cascading to their rows); returns their ids. */
  async deleteExpired(batch: number): Promise<string[]> {
    const result: unknown = await this.conversations.query(
      `DELETE FROM "chat_history"."conversations" WHERE "id" IN (
         SELECT "id" FROM "chat_history"."conversations" WHERE "expires_at" <= now() LIMIT $1 FOR UPDATE SKIP LOCKED
       ) RETURNING "id"`,
      [batch],
    );
    return returnedRows<{ id: string }>(result).map((r) => r.id);
  }

  /** Deletes every conversation of the user (cascading); returns how many. */
  async deleteAllOfUser(userId: string, em: EntityManager): Promise<number> {
    const res = await this.repo(em).delete({ userId });
    return res.affected ?? 0;
  }
}

/** `DELETE … RETURNING` through query() answers [rows, count] with the pg driver. */
function returnedRows<T>(result: unknown): T[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') {
    return result[0] as T[];
  }
  return Array.isArray(result) ? (result as T[]) : [];
}
