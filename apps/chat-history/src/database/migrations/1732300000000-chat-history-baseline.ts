import { MigrationInterface, QueryRunner } from 'typeorm';

/** Baseline: the service's own schema. Its tables arrive in their own migrations. */
export class ChatHistoryBaseline1732300000000 implements MigrationInterface {
  name = 'ChatHistoryBaseline1732300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SCHEMA IF NOT EXISTS "chat_history"`);
  }

  async down(): Promise<void> {
    // The schema is dropped by hand: it may hold data of later migrations.
  }
}
