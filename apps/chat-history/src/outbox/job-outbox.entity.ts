import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { OutboxJobOptions } from './outbox-job';

/**
 * A job an append asked for, written in the append's transaction. `sent_at` is null until the relay has seen
 * Redis take it; the job's processor deletes the row once the work is done.
 */
@Entity({ name: 'job_outbox' })
export class JobOutboxEntity {
  /** The BullMQ job id (deterministic): adding it again is ignored while Redis holds the job. */
  @PrimaryColumn({ name: 'job_id', type: 'varchar', length: 256 })
  jobId!: string;

  @Column({ type: 'varchar', length: 128 })
  queue!: string;

  @Column({ type: 'varchar', length: 64 })
  name!: string;

  @Column({ type: 'json' })
  payload!: unknown;

  @Column({ type: 'json' })
  options!: OutboxJobOptions;

  @Column({ name: 'conversation_id', type: 'varchar', length: 64 })
  conversationId!: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'sent_at', type: 'timestamptz', nullable: true })
  sentAt!: Date | null;

  /** When the relay looks at the row next (sends it, or checks Redis still has it). */
  @Column({ name: 'next_attempt_at', type: 'timestamptz' })
  nextAttemptAt!: Date;

  /** How many times the relay has taken the row. */
  @Column({ type: 'integer' })
  attempts!: number;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;
}
