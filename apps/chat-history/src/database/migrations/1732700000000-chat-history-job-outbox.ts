import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The job outbox: a row per job an append asks for, written in the append's transaction and deleted by the job's
 * processor once the work is done, so a job Redis never got (or lost) is enqueued again by the relay.
 */
export class ChatHistoryJobOutbox1732700000000 implements MigrationInterface {
  name = 'ChatHistoryJobOutbox1732700000000';

  async up(q: QueryRunner): Promise<void> {
    // Rows go with their conversation: a deleted or expired conversation has no work left.
    await q.query(`
      CREATE TABLE "chat_history"."job_outbox" (
        "job_id" varchar(256) PRIMARY KEY,
        "queue" varchar(128) NOT NULL,
        "name" varchar(64) NOT NULL,
        "payload" json NOT NULL,
        "options" json NOT NULL,
        "conversation_id" varchar(64) NOT NULL REFERENCES "chat_history"."conversations" ("id") ON DELETE CASCADE,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "sent_at" timestamptz,
        "next_attempt_at" timestamptz NOT NULL,
        "attempts" integer NOT NULL DEFAULT 0,
        "last_error" text
      )`);
    await q.query(`CREATE INDEX "job_outbox_next_attempt_at_idx" ON "chat_history"."job_outbox" ("next_attempt_at")`);
    // The cascade from conversations looks rows up by conversation.
    await q.query(`CREATE INDEX "job_outbox_conversation_id_idx" ON "chat_history"."job_outbox" ("conversation_id")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS "chat_history"."job_outbox"`);
  }
}
