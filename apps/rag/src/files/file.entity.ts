import { Column, Entity, PrimaryColumn } from 'typeorm';

/** An uploaded file; its bytes are in the row (every replica reads them). */
@Entity({ name: 'files' })
export class FileEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ type: 'varchar', length: 512 })
  filename!: string;

  @Column({ type: 'varchar', length: 32 })
  purpose!: string;

  @Column({ name: 'mime_type', type: 'varchar', length: 256 })
  mimeType!: string;

  @Column({ type: 'integer' })
  bytes!: number;

  /** Not loaded unless asked for (`select: false`): lists and views never need it. */
  @Column({ type: 'bytea', select: false })
  content!: Buffer;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt!: Date | null;
}
