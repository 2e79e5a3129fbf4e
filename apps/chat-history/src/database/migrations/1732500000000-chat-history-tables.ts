import { MigrationInterface, QueryRunner } from 'typeorm';

/** Conversations, their items, summaries and stored responses. */
export class ChatHistoryTables1732500000000 implements MigrationInterface {
  name = 'ChatHistoryTables1732500000000';

  async up(q: QueryRunner): Promise<void> {
    // `json` (not jsonb) where the caller's key order should come back as it was given.
    await q.query(`
      CREATE TABLE "chat_history"."conversations" (
        "id" varchar(64) PRIMARY KEY,
        "user_id" uuid NOT NULL,
        "title" text,
        "system_prompt" text,
        "metadata" json NOT NULL DEFAULT '{}',
        "ttl_seconds" integer CHECK ("ttl_seconds" > 0),
        "expires_at" timestamptz,
        "last_seq" integer NOT NULL DEFAULT 0,
        "summary_requested_through" integer NOT NULL DEFAULT 0,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(
      `CREATE INDEX "conversations_user_id_created_at_idx" ON "chat_history"."conversations" ("user_id", "created_at", "id")`,
    );
    await q.query(
      `CREATE INDEX "conversations_expires_at_idx" ON "chat_history"."conversations" ("expires_at") WHERE "expires_at" IS NOT NULL`,
    );

    await q.query(`
      CREATE TABLE "chat_history"."conversation_items" (
        "id" varchar(64) PRIMARY KEY,
        "conversation_id" varchar(64) NOT NULL REFERENCES "chat_history"."conversations" ("id") ON DELETE CASCADE,
        "seq" integer NOT NULL CHECK ("seq" > 0),
        "type" varchar(32) NOT NULL,
        "role" varchar(16),
        "body" json NOT NULL,
        "response_id" varchar(256),
        "idempotency_key" varchar(256),
        "position" smallint NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "conversation_items_conversation_id_seq_key" UNIQUE ("conversation_id", "seq")
      )`);
    // A retried append with the same key finds its items instead of appending them again.
    await q.query(
      `CREATE UNIQUE INDEX "conversation_items_idempotency_key" ON "chat_history"."conversation_items" ("conversation_id", "idempotency_key", "position") WHERE "idempotency_key" IS NOT NULL`,
    );

    await q.query(`
      CREATE TABLE "chat_history"."conversation_summaries" (
        "id" varchar(64) PRIMARY KEY,
        "conversation_id" varchar(64) NOT NULL REFERENCES "chat_history"."conversations" ("id") ON DELETE CASCADE,
        "through_seq" integer NOT NULL CHECK ("through_seq" > 0),
        "text" text NOT NULL,
        "model" varchar(128),
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "conversation_summaries_conversation_id_through_seq_key" UNIQUE ("conversation_id", "through_seq")
      )`);

    // A response of a conversation goes with it; previous_response_id is a plain reference (the chain may break).
    await q.query(`
      CREATE TABLE "chat_history"."stored_responses" (
        "id" varchar(256) PRIMARY KEY,
        "user_id" uuid NOT NULL,
        "conversation_id" varchar(64) REFERENCES "chat_history"."conversations" ("id") ON DELETE CASCADE,
        "previous_response_id" varchar(256),
        "body" json NOT NULL,
        "input_items" json NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX "stored_responses_user_id_idx" ON "chat_history"."stored_responses" ("user_id")`);
    await q.query(
      `CREATE INDEX "stored_responses_conversation_id_idx" ON "chat_history"."stored_responses" ("conversation_id") WHERE "conversation_id" IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS "chat_history"."stored_responses"`);
    await q.query(`DROP TABLE IF EXISTS "chat_history"."conversation_summaries"`);
    await q.query(`DROP TABLE IF EXISTS "chat_history"."conversation_items"`);
    await q.query(`DROP TABLE IF EXISTS "chat_history"."conversations"`);
  }
}
