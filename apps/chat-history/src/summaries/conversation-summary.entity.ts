import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A rolling summary of a conversation: it covers every item with seq ≤ through_seq. */
@Entity({ name: 'conversation_summaries' })
export class ConversationSummaryEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id!: string;

  @Column({ name: 'conversation_id', type: 'varchar', length: 64 })
  conversationId!: string;

  @Column({ name: 'through_seq', type: 'integer' })
  throughSeq!: number;

  @Column({ type: 'text' })
  text!: string;

  @Column({ type: 'varchar', length: 128, nullable: true })
  model!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
