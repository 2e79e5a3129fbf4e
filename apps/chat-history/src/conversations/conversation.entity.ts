import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Metadata } from '@llmp/contracts';

/** A conversation of one user. `last_seq` is the seq of its newest item, bumped under a row lock on append. */
@Entity({ name: 'conversations' })
export class ConversationEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ type: 'text', nullable: true })
  title!: string | null;

  @Column({ name: 'system_prompt', type: 'text', nullable: true })
  systemPrompt!: string | null;

  @Column({ type: 'json' })
  metadata!: Metadata;

  @Column({ name: 'ttl_seconds', type: 'integer', nullable: true })
  ttlSeconds!: number | null;

  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt!: Date | null;

  @Column({ name: 'last_seq', type: 'integer' })
  lastSeq!: number;

  /** The throughSeq of the newest summary job asked for, so appends while it runs do not ask again. */
  @Column({ name: 'summary_requested_through', type: 'integer' })
  summaryRequestedThrough!: number;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
