import { MigrationInterface, QueryRunner } from 'typeorm';

/** Users, refresh tokens, API keys, usage records and JWT signing keys. */
export class AuthTables1732400000000 implements MigrationInterface {
  name = 'AuthTables1732400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "auth"."users" (
        "id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        "username" varchar(64) NOT NULL,
        "email" varchar(254),
        "password_hash" text NOT NULL,
        "role" varchar(16) NOT NULL DEFAULT 'user' CHECK ("role" IN ('admin', 'user')),
        "disabled_at" timestamptz,
        "rpm_limit" integer CHECK ("rpm_limit" > 0),
        "tpm_limit" integer CHECK ("tpm_limit" > 0),
        "created_at" timestamptz NOT NULL DEFAULT now()
      )`);
    // Usernames are unique regardless of case; lookups use the same expression.
    await q.query(`CREATE UNIQUE INDEX "users_username_lower_key" ON "auth"."users" (lower("username"))`);
    await q.query(`CREATE INDEX "users_created_at_id_idx" ON "auth"."users" ("created_at", "id")`);

    await q.query(`
      CREATE TABLE "auth"."refresh_tokens" (
        "id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        "user_id" uuid NOT NULL REFERENCES "auth"."users" ("id") ON DELETE CASCADE,
        "family_id" uuid NOT NULL,
        "token_hash" varchar(64) NOT NULL UNIQUE,
        "expires_at" timestamptz NOT NULL,
        "used_at" timestamptz,
        "revoked_at" timestamptz,
        "created_at" timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX "refresh_tokens_family_id_idx" ON "auth"."refresh_tokens" ("family_id")`);
    await q.query(`CREATE INDEX "refresh_tokens_user_id_idx" ON "auth"."refresh_tokens" ("user_id")`);

    await q.query(`
      CREATE TABLE "auth"."api_keys" (
        "id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        "user_id" uuid NOT NULL REFERENCES "auth"."users" ("id") ON DELETE CASCADE,
        "name" varchar(100) NOT NULL,
        "prefix" varchar(16) NOT NULL,
        "key_hash" varchar(64) NOT NULL UNIQUE,
        "models" text[],
        "rpm" integer CHECK ("rpm" > 0),
        "tpm" integer CHECK ("tpm" > 0),
        "expires_at" timestamptz,
        "revoked_at" timestamptz,
        "last_used_at" timestamptz,
        "created_at" timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(
      `CREATE INDEX "api_keys_user_id_created_at_idx" ON "auth"."api_keys" ("user_id", "created_at", "id") WHERE "revoked_at" IS NULL`,
    );

    // No foreign key to users: usage outlives users as aggregates.
    await q.query(`
      CREATE TABLE "auth"."usage_records" (
        "id" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        "request_id" text NOT NULL UNIQUE,
        "user_id" uuid NOT NULL,
        "api_key_id" uuid,
        "model" text NOT NULL,
        "endpoint" varchar(32) NOT NULL,
        "prompt_tokens" integer NOT NULL CHECK ("prompt_tokens" >= 0),
        "completion_tokens" integer NOT NULL CHECK ("completion_tokens" >= 0),
        "created_at" timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(
      `CREATE INDEX "usage_records_user_id_created_at_idx" ON "auth"."usage_records" ("user_id", "created_at")`,
    );
    await q.query(`CREATE INDEX "usage_records_created_at_idx" ON "auth"."usage_records" ("created_at")`);

    await q.query(`
      CREATE TABLE "auth"."signing_keys" (
        "kid" varchar(128) PRIMARY KEY,
        "private_key_pem" text NOT NULL,
        "public_jwk" jsonb NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "retired_at" timestamptz
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS "auth"."signing_keys"`);
    await q.query(`DROP TABLE IF EXISTS "auth"."usage_records"`);
    await q.query(`DROP TABLE IF EXISTS "auth"."api_keys"`);
    await q.query(`DROP TABLE IF EXISTS "auth"."refresh_tokens"`);
    await q.query(`DROP TABLE IF EXISTS "auth"."users"`);
  }
}
