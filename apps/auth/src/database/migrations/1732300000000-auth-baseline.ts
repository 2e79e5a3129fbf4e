import { MigrationInterface, QueryRunner } from 'typeorm';

/** Baseline: the service's own schema. Tables for users, keys and usage arrive in their own migrations. */
export class AuthBaseline1732300000000 implements MigrationInterface {
  name = 'AuthBaseline1732300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SCHEMA IF NOT EXISTS "auth"`);
  }

  async down(): Promise<void> {
    // The schema is dropped by hand: it may hold data of later migrations.
  }
}
