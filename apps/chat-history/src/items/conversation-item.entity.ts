import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { ItemType, MessageRole } from '@llmp/contracts';
import type { StoredItemBody } from './item-normalizer';

/** One item of a conversation; `seq` orders the items of a conversation (strictly increasing, gaps after deletes). */
@Entity({ name: 'conversation_items' })
export class ConversationItemEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id!: string;

  @Column({ name: 'conversation_id', type: 'varchar', length: 64 })
  conversationId!: string;

  @Column({ type: 'integer' })
  seq!: number;

  @Column({ type: 'varchar', length: 32 })
  type!: ItemType;

  @Column({ type: 'varchar', length: 16, nullable: true })
  role!: MessageRole | null;

  /** The type's own fields, normalised (message content as parts). */
  @Column({ type: 'json' })
  body!: StoredItemBody;

  @Column({ name: 'response_id', type: 'varchar', length: 256, nullable: true })
  responseId!: string | null;

  @Column({ name: 'idempotency_key', type: 'varchar', length: 256, nullable: true })
  idempotencyKey!: string | null;

  /** Index of the item within the append that stored it. */
  @Column({ type: 'smallint' })
  position!: number;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
