import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A file batch: its files are the vector store files with its `batch_id`; cancelled ones are counted here. */
@Entity({ name: 'file_batches' })
export class FileBatchEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id!: string;

  @Column({ name: 'vector_store_id', type: 'varchar', length: 64 })
  vectorStoreId!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ name: 'cancelled_count', type: 'integer' })
  cancelledCount!: number;

  @Column({ name: 'cancelled_at', type: 'timestamptz', nullable: true })
  cancelledAt!: Date | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
