import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { VectorDeletionEntity } from './vector-deletion.entity';

export interface VectorDeletion {
  id: string;
  collection: string;
  vectorStoreId: string;
  /** Null: every vector of the store. */
  fileId: string | null;
  attempts: number;
}

/** Longest wait between two retries of a failed vector deletion. */
const MAX_BACKOFF_S = 3600;

/** Failed vector deletions (`rag.vector_deletions`), retried by the purge loop. */
@Injectable()
export class VectorDeletionsRepository {
  constructor(@InjectRepository(VectorDeletionEntity) private readonly rows: Repository<VectorDeletionEntity>) {}

  async record(rows: readonly Omit<VectorDeletion, 'id' | 'attempts'>[], error: string): Promise<void> {
    if (!rows.length) return;
    await this.rows.query(
      `INSERT INTO "rag"."vector_deletions" ("collection", "vector_store_id", "file_id", "last_error")
       SELECT $1, s, f, $4 FROM unnest($2::varchar[], $3::varchar[]) AS t(s, f)`,
      [rows[0]!.collection, rows.map((r) => r.vectorStoreId), rows.map((r) => r.fileId), error],
    );
  }

  /** Takes due deletions and leases them for `leaseS` seconds (other replicas skip them). */
  async claimDue(limit: number, leaseS: number): Promise<VectorDeletion[]> {
    const result = (await this.rows.query(
      `UPDATE "rag"."vector_deletions" d
         SET "next_attempt_at" = now() + make_interval(secs => $2::double precision)
       WHERE d."id" IN (
         SELECT "id" FROM "rag"."vector_deletions" WHERE "next_attempt_at" <= now()
         ORDER BY "next_attempt_at" LIMIT $1 FOR UPDATE SKIP LOCKED
       )
       RETURNING d."id"::text AS "id", d."collection", d."vector_store_id" AS "vectorStoreId",
                 d."file_id" AS "fileId", d."attempts"`,
      [limit, leaseS],
    )) as unknown;
    return Array.isArray(result) && Array.isArray(result[0]) ? (result[0] as VectorDeletion[]) : [];
  }

  /**
   * Runs `remove` unless the deletion no longer applies, holding the store's row (`FOR SHARE`: an attach, which
   * updates the store, waits), then forgets the deletion. A file attached again since (in progress or completed)
   * owns its vectors again: its deletion is dropped, not run. Store ids are never reused, so a store's always runs.
   */
  async settle(d: VectorDeletion, remove: () => Promise<void>): Promise<'removed' | 'superseded'> {
    return this.rows.manager.transaction(async (em) => {
      await em.query(`SELECT 1 FROM "rag"."vector_stores" WHERE "id" = $1 FOR SHARE`, [d.vectorStoreId]);
      let outcome: 'removed' | 'superseded' = 'removed';
      if (d.fileId !== null) {
        const live = (await em.query(
          `SELECT 1 FROM "rag"."vector_store_files"
           WHERE "vector_store_id" = $1 AND "file_id" = $2 AND "status" IN ('in_progress', 'completed')`,
          [d.vectorStoreId, d.fileId],
        )) as unknown[];
        if (live.length) outcome = 'superseded';
      }
      if (outcome === 'removed') await remove();
      await em.query(`DELETE FROM "rag"."vector_deletions" WHERE "id" = $1`, [d.id]);
      return outcome;
    });
  }

  /** Another try later: exponential backoff from `baseS`, capped at an hour. */
  async postpone(d: VectorDeletion, baseS: number, error: string): Promise<void> {
    const waitS = Math.min(MAX_BACKOFF_S, baseS * 2 ** Math.min(d.attempts, 20));
    await this.rows.query(
      `UPDATE "rag"."vector_deletions" SET "attempts" = "attempts" + 1, "last_error" = $2,
         "next_attempt_at" = now() + make_interval(secs => $3::double precision) WHERE "id" = $1`,
      [d.id, error, waitS],
    );
  }
}
