import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the expiry purge needs: partial indexes on what expires (files by `expires_at`, stores with
 * `expires_after`), and the vector deletions that failed (the vector backend away), retried by the purge loop.
 */
export class RagExpiry1734000000000 implements MigrationInterface {
  name = 'RagExpiry1734000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX "files_expires_idx" ON "rag"."files" ("expires_at") WHERE "expires_at" IS NOT NULL`);
    await q.query(
      `CREATE INDEX "vector_stores_expiring_idx" ON "rag"."vector_stores" ("last_active_at") WHERE "expires_after_days" IS NOT NULL`,
    );
    await q.query(`
      CREATE TABLE "rag"."vector_deletions" (
        "id" bigserial PRIMARY KEY,
        "collection" varchar(63) NOT NULL,
        "vector_store_id" varchar(64) NOT NULL,
        "file_id" varchar(64),
        "attempts" integer NOT NULL DEFAULT 0,
        "last_error" text,
        "next_attempt_at" timestamptz NOT NULL DEFAULT now(),
        "created_at" timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX "vector_deletions_due_idx" ON "rag"."vector_deletions" ("next_attempt_at")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS "rag"."vector_deletions"`);
    await q.query(`DROP INDEX IF EXISTS "rag"."vector_stores_expiring_idx"`);
    await q.query(`DROP INDEX IF EXISTS "rag"."files_expires_idx"`);
  }
}
