import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A removal of chunk vectors that failed (the vector backend was away): the vectors of a whole store
 * (`fileId` null) or of one file in it. The purge loop retries it until it succeeds or no longer applies.
 */
@Entity({ name: 'vector_deletions' })
export class VectorDeletionEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ type: 'varchar', length: 63 })
  collection!: string;

  @Column({ name: 'vector_store_id', type: 'varchar', length: 64 })
  vectorStoreId!: string;

  @Column({ name: 'file_id', type: 'varchar', length: 64, nullable: true })
  fileId!: string | null;

  @Column({ type: 'integer' })
  attempts!: number;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  @Column({ name: 'next_attempt_at', type: 'timestamptz' })
  nextAttemptAt!: Date;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
