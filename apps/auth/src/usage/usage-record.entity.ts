import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** One completed request's token usage. No foreign key to users: usage outlives users as aggregates. */
@Entity({ name: 'usage_records' })
export class UsageRecordEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id!: string;

  @Column({ name: 'request_id', type: 'text' })
  requestId!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ name: 'api_key_id', type: 'uuid', nullable: true })
  apiKeyId!: string | null;

  @Column({ type: 'text' })
  model!: string;

  @Column({ type: 'varchar', length: 32 })
  endpoint!: string;

  @Column({ name: 'prompt_tokens', type: 'integer' })
  promptTokens!: number;

  @Column({ name: 'completion_tokens', type: 'integer' })
  completionTokens!: number;

  /** numeric in Postgres (exact sums), a string through pg. */
  @Column({ type: 'numeric', default: 0 })
  cost!: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
