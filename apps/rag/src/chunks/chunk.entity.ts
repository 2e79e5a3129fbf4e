import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One chunk of an indexed file; its vector is in the vector store under the same id. */
@Entity({ name: 'chunks' })
export class ChunkEntity {
  /** Deterministic (see `chunkId`): vector store, file and index. */
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id!: string;

  @Column({ name: 'vector_store_id', type: 'varchar', length: 64 })
  vectorStoreId!: string;

  @Column({ name: 'file_id', type: 'varchar', length: 64 })
  fileId!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ name: 'chunk_index', type: 'integer' })
  chunkIndex!: number;

  @Column({ type: 'text' })
  text!: string;

  /** Character offsets of the chunk in the extracted text (for citations). */
  @Column({ name: 'char_start', type: 'integer' })
  charStart!: number;

  @Column({ name: 'char_end', type: 'integer' })
  charEnd!: number;

  @Column({ type: 'integer' })
  tokens!: number;
}
