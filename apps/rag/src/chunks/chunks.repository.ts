import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { Attributes } from '@llmp/contracts';

/** Most matches one side of the keyword search ranks (see keywordSearch). */
export const KEYWORD_CANDIDATES_CAP = 2000;

export interface ChunkRow {
  id: string;
  chunkIndex: number;
  text: string;
  charStart: number;
  charEnd: number;
  tokens: number;
}

/** A chunk as search answers it, with its file's name and attributes. */
export interface ChunkHit {
  id: string;
  vectorStoreId: string;
  fileId: string;
  filename: string;
  attributes: Attributes | null;
  chunkIndex: number;
  text: string;
  charStart: number;
  charEnd: number;
}

/** Rows per INSERT statement (10 parameters each). */
const INSERT_BATCH = 500;

/** The chunks of indexed files (`rag.chunks`) and the keyword index over them. */
@Injectable()
export class ChunksRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /** Stores a file's chunks (upsert by id) and removes chunks of an earlier ingest beyond them. */
  async replaceFileChunks(
    em: EntityManager,
    key: { vectorStoreId: string; fileId: string; userId: string },
    chunks: readonly ChunkRow[],
  ): Promise<void> {
    await em.query(
      `DELETE FROM "rag"."chunks" WHERE "vector_store_id" = $1 AND "file_id" = $2 AND NOT ("id" = ANY($3))`,
      [key.vectorStoreId, key.fileId, chunks.map((c) => c.id)],
    );
    for (let i = 0; i < chunks.length; i += INSERT_BATCH) {
      const slice = chunks.slice(i, i + INSERT_BATCH);
      const values: unknown[] = [];
      const tuples = slice.map((c, j) => {
        values.push(c.id, key.vectorStoreId, key.fileId, key.userId, c.chunkIndex, c.text, c.charStart, c.charEnd);
        values.push(c.tokens);
        const p = j * 9;
        return `(${Array.from({ length: 9 }, (_, k) => `$${p + k + 1}`).join(', ')})`;
      });
      await em.query(
        `INSERT INTO "rag"."chunks" ("id", "vector_store_id", "file_id", "user_id", "chunk_index", "text",
           "char_start", "char_end", "tokens") VALUES ${tuples.join(', ')}
         ON CONFLICT ("id") DO UPDATE SET "chunk_index" = EXCLUDED."chunk_index", "text" = EXCLUDED."text",
           "char_start" = EXCLUDED."char_start", "char_end" = EXCLUDED."char_end", "tokens" = EXCLUDED."tokens"`,
        values,
      );
    }
  }

  async deleteFileChunks(em: EntityManager, vectorStoreId: string, fileId: string): Promise<void> {
    await em.query(`DELETE FROM "rag"."chunks" WHERE "vector_store_id" = $1 AND "file_id" = $2`, [
      vectorStoreId,
      fileId,
    ]);
  }

  async countOf(vectorStoreId: string, fileId: string): Promise<number> {
    const [row] = (await this.ds.query(
      `SELECT count(*)::int AS n FROM "rag"."chunks" WHERE "vector_store_id" = $1 AND "file_id" = $2`,
      [vectorStoreId, fileId],
    )) as { n: number }[];
    return row?.n ?? 0;
  }

  /** A file's chunk texts in order (vector store file content). */
  async textsOf(vectorStoreId: string, fileId: string): Promise<string[]> {
    const rows = (await this.ds.query(
      `SELECT "text" FROM "rag"."chunks" WHERE "vector_store_id" = $1 AND "file_id" = $2 ORDER BY "chunk_index"`,
      [vectorStoreId, fileId],
    )) as { text: string }[];
    return rows.map((r) => r.text);
  }

  /**
   * Keyword search: chunk ids of the user's completed files in the stores, best first by `ts_rank_cd`. A chunk
   * matches if it has any of the query's words (stemmed, English); one with the whole `websearch_to_tsquery` (every
   * word, phrases in quotes) ranks above. `attributeSql` is a condition on `f.attributes` with its parameters
   * numbered from `$5`.
   *
   * Postgres cannot take the best by `ts_rank_cd` from the GIN index: it ranks every match. So the strict matches
   * (every word: few) are ranked first, and the loose ones (any word: in a large store, nearly every chunk) only
   * when the strict ones are fewer than `limit`; each side ranks at most KEYWORD_CANDIDATES_CAP matches, an
   * approximation only for queries of common words in stores beyond that many matching chunks. Measured at 115k
   * chunks (bench/results/rag.md): an unbounded loose ranking took 0.5 s p50.
   */
  async keywordSearch(
    userId: string,
    vectorStoreIds: readonly string[],
    query: string,
    limit: number,
    attributeSql: { sql: string; params: unknown[] } | null,
  ): Promise<string[]> {
    const base = `FROM "rag"."chunks" c
         JOIN "rag"."vector_store_files" f ON f."vector_store_id" = c."vector_store_id" AND f."file_id" = c."file_id"
       WHERE c."user_id" = $1 AND c."vector_store_id" = ANY($2) AND f."user_id" = $1 AND f."status" = 'completed'
         ${attributeSql ? `AND (${attributeSql.sql})` : ''}`;
    const rows = (await this.ds.query(
      `WITH q AS (
         SELECT websearch_to_tsquery('english', $3) AS strict,
                (SELECT to_tsquery('simple', coalesce(string_agg(quote_literal(l), ' | '), ''))
                   FROM unnest(tsvector_to_array(to_tsvector('english', $3))) AS l) AS loose
       ),
       s AS (SELECT c."id", c."tsv" ${base} AND c."tsv" @@ (SELECT strict FROM q) LIMIT ${KEYWORD_CANDIDATES_CAP}),
       l AS (
         SELECT c."id", c."tsv" ${base} AND c."tsv" @@ (SELECT loose FROM q)
           AND (SELECT count(*) FROM s) < $4 AND c."id" NOT IN (SELECT "id" FROM s)
         LIMIT ${KEYWORD_CANDIDATES_CAP}
       )
       SELECT m."id" FROM (SELECT * FROM s UNION ALL SELECT * FROM l) m CROSS JOIN q
       ORDER BY 2 * ts_rank_cd(m."tsv", q.strict) + ts_rank_cd(m."tsv", q.loose) DESC, m."id"
       LIMIT $4`,
      [userId, [...vectorStoreIds], query, limit, ...(attributeSql?.params ?? [])],
    )) as { id: string }[];
    return rows.map((r) => r.id);
  }

  /**
   * The chunks among `ids` that are searchable now: the user's, in the stores, of a completed vector store file of
   * a file that exists, matching the attribute condition (parameters from `$4`). A vector whose chunk was deleted
   * (or not committed yet) is never answered.
   */
  async searchable(
    userId: string,
    vectorStoreIds: readonly string[],
    ids: readonly string[],
    attributeSql: { sql: string; params: unknown[] } | null,
  ): Promise<Map<string, ChunkHit>> {
    if (!ids.length) return new Map();
    const rows = (await this.ds.query(
      `SELECT c."id", c."vector_store_id" AS "vectorStoreId", c."file_id" AS "fileId", fl."filename",
              f."attributes", c."chunk_index" AS "chunkIndex", c."text", c."char_start" AS "charStart",
              c."char_end" AS "charEnd"
       FROM "rag"."chunks" c
         JOIN "rag"."vector_store_files" f ON f."vector_store_id" = c."vector_store_id" AND f."file_id" = c."file_id"
         JOIN "rag"."files" fl ON fl."id" = c."file_id"
       WHERE c."id" = ANY($3) AND c."user_id" = $1 AND c."vector_store_id" = ANY($2) AND f."user_id" = $1
         AND f."status" = 'completed' ${attributeSql ? `AND (${attributeSql.sql})` : ''}`,
      [userId, [...vectorStoreIds], [...ids], ...(attributeSql?.params ?? [])],
    )) as ChunkHit[];
    return new Map(rows.map((r) => [r.id, r]));
  }
}
