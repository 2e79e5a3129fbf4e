import { MigrationInterface, QueryRunner } from 'typeorm';

/** The cost of each usage record (by the models' price table), and a monthly budget per user. */
export class CostAndBudgets1732600000000 implements MigrationInterface {
  name = 'CostAndBudgets1732600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE "auth"."usage_records" ADD COLUMN "cost" numeric NOT NULL DEFAULT 0 CHECK ("cost" >= 0)`,
    );
    await q.query(`ALTER TABLE "auth"."users" ADD COLUMN "monthly_budget" numeric CHECK ("monthly_budget" >= 0)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "auth"."users" DROP COLUMN IF EXISTS "monthly_budget"`);
    await q.query(`ALTER TABLE "auth"."usage_records" DROP COLUMN IF EXISTS "cost"`);
  }
}
