import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Files (bytes in Postgres), vector stores, their files and file batches, and the chunks of indexed files with a
 * generated `tsvector` (GIN-indexed) for keyword search. A vector store file's chunks go with it (cascade), and a
 * vector store's files with the store; the vectors live in the vector store (LanceDB), keyed by chunk id.
 */
export class RagTables1733000000000 implements MigrationInterface {
  name = 'RagTables1733000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "rag"."files" (
        "id" varchar(64) PRIMARY KEY,
        "user_id" uuid NOT NULL,
        "filename" varchar(512) NOT NULL,
        "purpose" varchar(32) NOT NULL,
        "mime_type" varchar(256) NOT NULL,
        "bytes" integer NOT NULL,
        "content" bytea NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "expires_at" timestamptz
      )`);
    await q.query(`CREATE INDEX "files_user_created_idx" ON "rag"."files" ("user_id", "created_at", "id")`);

    await q.query(`
      CREATE TABLE "rag"."vector_stores" (
        "id" varchar(64) PRIMARY KEY,
        "user_id" uuid NOT NULL,
        "name" varchar(256) NOT NULL DEFAULT '',
        "description" varchar(512),
        "metadata" jsonb,
        "embedding_model" varchar(128) NOT NULL,
        "expires_after_days" integer,
        "last_active_at" timestamptz NOT NULL DEFAULT now(),
        "created_at" timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(
      `CREATE INDEX "vector_stores_user_created_idx" ON "rag"."vector_stores" ("user_id", "created_at", "id")`,
    );

    await q.query(`
      CREATE TABLE "rag"."file_batches" (
        "id" varchar(64) PRIMARY KEY,
        "vector_store_id" varchar(64) NOT NULL REFERENCES "rag"."vector_stores" ("id") ON DELETE CASCADE,
        "user_id" uuid NOT NULL,
        "cancelled_count" integer NOT NULL DEFAULT 0,
        "cancelled_at" timestamptz,
        "created_at" timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX "file_batches_store_idx" ON "rag"."file_batches" ("vector_store_id")`);

    await q.query(`
      CREATE TABLE "rag"."vector_store_files" (
        "vector_store_id" varchar(64) NOT NULL REFERENCES "rag"."vector_stores" ("id") ON DELETE CASCADE,
        "file_id" varchar(64) NOT NULL REFERENCES "rag"."files" ("id") ON DELETE CASCADE,
        "user_id" uuid NOT NULL,
        "status" varchar(16) NOT NULL,
        "last_error_code" varchar(32),
        "last_error_message" text,
        "attributes" jsonb,
        "max_chunk_size_tokens" integer NOT NULL,
        "chunk_overlap_tokens" integer NOT NULL,
        "usage_bytes" bigint NOT NULL DEFAULT 0,
        "batch_id" varchar(64) REFERENCES "rag"."file_batches" ("id") ON DELETE SET NULL,
        "ingest_id" uuid NOT NULL,
        "next_check_at" timestamptz NOT NULL DEFAULT now(),
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY ("vector_store_id", "file_id"),
        CONSTRAINT "vector_store_files_status_check" CHECK ("status" IN ('in_progress', 'completed', 'failed', 'cancelled'))
      )`);
    await q.query(
      `CREATE INDEX "vector_store_files_store_created_idx" ON "rag"."vector_store_files" ("vector_store_id", "created_at", "file_id")`,
    );
    await q.query(`CREATE INDEX "vector_store_files_file_idx" ON "rag"."vector_store_files" ("file_id")`);
    await q.query(`CREATE INDEX "vector_store_files_batch_idx" ON "rag"."vector_store_files" ("batch_id")`);
    // The ingest sweep looks only at files in progress.
    await q.query(
      `CREATE INDEX "vector_store_files_sweep_idx" ON "rag"."vector_store_files" ("next_check_at") WHERE "status" = 'in_progress'`,
    );

    await q.query(`
      CREATE TABLE "rag"."chunks" (
        "id" varchar(64) PRIMARY KEY,
        "vector_store_id" varchar(64) NOT NULL,
        "file_id" varchar(64) NOT NULL,
        "user_id" uuid NOT NULL,
        "chunk_index" integer NOT NULL,
        "text" text NOT NULL,
        "char_start" integer NOT NULL,
        "char_end" integer NOT NULL,
        "tokens" integer NOT NULL,
        "tsv" tsvector GENERATED ALWAYS AS (to_tsvector('english', "text")) STORED,
        FOREIGN KEY ("vector_store_id", "file_id") REFERENCES "rag"."vector_store_files" ("vector_store_id", "file_id")
          ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX "chunks_file_idx" ON "rag"."chunks" ("vector_store_id", "file_id", "chunk_index")`);
    await q.query(`CREATE INDEX "chunks_tsv_idx" ON "rag"."chunks" USING GIN ("tsv")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS "rag"."chunks"`);
    await q.query(`DROP TABLE IF EXISTS "rag"."vector_store_files"`);
    await q.query(`DROP TABLE IF EXISTS "rag"."file_batches"`);
    await q.query(`DROP TABLE IF EXISTS "rag"."vector_stores"`);
    await q.query(`DROP TABLE IF EXISTS "rag"."files"`);
  }
}
