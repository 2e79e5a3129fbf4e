import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * API key permissions (all / read_only / restricted) and the scopes of restricted keys. Existing keys become `all`:
 * they keep exactly what they could do before.
 */
export class ApiKeyPermissions1732500000000 implements MigrationInterface {
  name = 'ApiKeyPermissions1732500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE "auth"."api_keys"
        ADD COLUMN "permissions" varchar(16) NOT NULL DEFAULT 'all'
          CHECK ("permissions" IN ('all', 'read_only', 'restricted')),
        ADD COLUMN "scopes" text[],
        ADD CONSTRAINT "api_keys_scopes_iff_restricted"
          CHECK (("permissions" = 'restricted') = ("scopes" IS NOT NULL))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE "auth"."api_keys"
        DROP CONSTRAINT IF EXISTS "api_keys_scopes_iff_restricted",
        DROP COLUMN IF EXISTS "scopes",
        DROP COLUMN IF EXISTS "permissions"`);
  }
}
