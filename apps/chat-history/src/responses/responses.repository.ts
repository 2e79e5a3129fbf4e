import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import type { StoredInputItem } from '@llmp/contracts';
import { ConversationEntity } from '../conversations/conversation.entity';
import { activeCondition } from '../conversations/conversations.repository';
import { StoredResponseEntity } from './stored-response.entity';

export interface NewStoredResponse {
  id: string;
  userId: string;
  conversationId: string | null;
  previousResponseId: string | null;
  body: Record<string, unknown> & { id: string };
  inputItems: StoredInputItem[];
}

@Injectable()
export class ResponsesRepository {
  constructor(@InjectRepository(StoredResponseEntity) private readonly responses: Repository<StoredResponseEntity>) {}

  /**
   * Inserts the response, or replaces it when the same user stored it before (a retried store). False when the
   * id belongs to another user.
   */
  async upsertOwned(r: NewStoredResponse): Promise<boolean> {
    const rows: unknown = await this.responses.query(
      `INSERT INTO "chat_history"."stored_responses"
         ("id", "user_id", "conversation_id", "previous_response_id", "body", "input_items")
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT ("id") DO UPDATE SET
         "conversation_id" = EXCLUDED."conversation_id",
         "previous_response_id" = EXCLUDED."previous_response_id",
         "body" = EXCLUDED."body",
         "input_items" = EXCLUDED."input_items",
         "updated_at" = now()
       WHERE "stored_responses"."user_id" = EXCLUDED."user_id"
       RETURNING "id"`,
      [r.id, r.userId, r.conversationId, r.previousResponseId, JSON.stringify(r.body), JSON.stringify(r.inputItems)],
    );
    return Array.isArray(rows) && rows.length > 0;
  }

  /** The user's response, unless it belongs to a conversation that has expired (and awaits its purge). */
  findOwned(userId: string, id: string): Promise<StoredResponseEntity | null> {
    return this.responses
      .createQueryBuilder('r')
      .leftJoin(ConversationEntity, 'c', 'c.id = r.conversation_id')
      .where(`r.id = :id AND r.user_id = :userId AND (r.conversation_id IS NULL OR ${activeCondition('c')})`, {
        id,
        userId,
      })
      .getOne();
  }

  async deleteOwned(userId: string, id: string): Promise<boolean> {
    const res = await this.responses.delete({ id, userId });
    return (res.affected ?? 0) > 0;
  }

  async deleteAllOfUser(userId: string, em: EntityManager): Promise<number> {
    const res = await em.getRepository(StoredResponseEntity).delete({ userId });
    return res.affected ?? 0;
  }
}
