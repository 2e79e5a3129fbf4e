import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { StoredInputItem } from '@llmp/contracts';

/** A Responses API object as the gateway rendered it, with its input items. */
@Entity({ name: 'stored_responses' })
export class StoredResponseEntity {
  @PrimaryColumn({ type: 'varchar', length: 256 })
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ name: 'conversation_id', type: 'varchar', length: 64, nullable: true })
  conversationId!: string | null;

  @Column({ name: 'previous_response_id', type: 'varchar', length: 256, nullable: true })
  previousResponseId!: string | null;

  @Column({ type: 'json' })
  body!: Record<string, unknown> & { id: string };

  @Column({ name: 'input_items', type: 'json' })
  inputItems!: StoredInputItem[];

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
