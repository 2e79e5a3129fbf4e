import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Attributes, VectorStoreFileErrorCode, VectorStoreFileStatus } from '@llmp/contracts';

/** A file attached to a vector store, with its ingest state. */
@Entity({ name: 'vector_store_files' })
export class VectorStoreFileEntity {
  @PrimaryColumn({ name: 'vector_store_id', type: 'varchar', length: 64 })
  vectorStoreId!: string;

  @PrimaryColumn({ name: 'file_id', type: 'varchar', length: 64 })
  fileId!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ type: 'varchar', length: 16 })
  status!: VectorStoreFileStatus;

  @Column({ name: 'last_error_code', type: 'varchar', length: 32, nullable: true })
  lastErrorCode!: VectorStoreFileErrorCode | null;

  @Column({ name: 'last_error_message', type: 'text', nullable: true })
  lastErrorMessage!: string | null;

  @Column({ type: 'jsonb', nullable: true })
  attributes!: Attributes | null;

  @Column({ name: 'max_chunk_size_tokens', type: 'integer' })
  maxChunkSizeTokens!: number;

  @Column({ name: 'chunk_overlap_tokens', type: 'integer' })
  chunkOverlapTokens!: number;

  /** bigint reads back as a string with the pg driver. */
  @Column({ name: 'usage_bytes', type: 'bigint' })
  usageBytes!: string;

  @Column({ name: 'batch_id', type: 'varchar', length: 64, nullable: true })
  batchId!: string | null;

  /** Names the attachment its ingest job belongs to (a job of an older one does nothing). */
  @Column({ name: 'ingest_id', type: 'uuid' })
  ingestId!: string;

  /** When the sweep checks that an in-progress file has a live ingest job. */
  @Column({ name: 'next_check_at', type: 'timestamptz' })
  nextCheckAt!: Date;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
