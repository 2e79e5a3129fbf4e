import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'vector_stores' })
export class VectorStoreEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ type: 'varchar', length: 256 })
  name!: string;

  @Column({ type: 'varchar', length: 512, nullable: true })
  description!: string | null;

  @Column({ type: 'jsonb', nullable: true })
  metadata!: Record<string, string> | null;

  /** The model its chunks are embedded with (RAG_EMBEDDING_MODEL when it was created). */
  @Column({ name: 'embedding_model', type: 'varchar', length: 128 })
  embeddingModel!: string;

  @Column({ name: 'expires_after_days', type: 'integer', nullable: true })
  expiresAfterDays!: number | null;

  @Column({ name: 'last_active_at', type: 'timestamptz' })
  lastActiveAt!: Date;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
