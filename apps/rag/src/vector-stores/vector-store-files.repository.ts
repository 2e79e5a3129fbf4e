import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import type { Attributes, FileCounts, VectorStoreFileErrorCode, VectorStoreFileStatus } from '@llmp/contracts';
import { FileBatchEntity } from './file-batch.entity';
import { VectorStoreFileEntity } from './vector-store-file.entity';

export interface Attachment {
  vectorStoreId: string;
  fileId: string;
  userId: string;
  /** Undefined: keep the attributes of an existing attachment (none for a new one). */
  attributes: Attributes | null | undefined;
  maxChunkSizeTokens: number;
  chunkOverlapTokens: number;
  batchId: string | null;
  ingestId: string;
}

export interface SweepRow {
  vectorStoreId: string;
  fileId: string;
  ingestId: string;
  attempts: number;
}

/** Vector store files and file batches. Every query a request makes is scoped to the owner. */
@Injectable()
export class VectorStoreFilesRepository {
  constructor(
    @InjectRepository(VectorStoreFileEntity) private readonly files: Repository<VectorStoreFileEntity>,
    @InjectRepository(FileBatchEntity) private readonly batches: Repository<FileBatchEntity>,
  ) {}

  /**
   * Attaches (or re-attaches) files, `in_progress` with a new ingest id each; the sweep leaves them alone for
   * `graceMs` (the caller enqueues their jobs after the commit).
   */
  async attach(em: EntityManager, rows: readonly Attachment[], graceMs: number): Promise<void> {
    for (const r of rows) {
      await em.query(
        `INSERT INTO "rag"."vector_store_files"
           ("vector_store_id", "file_id", "user_id", "status", "attributes", "max_chunk_size_tokens",
            "chunk_overlap_tokens", "batch_id", "ingest_id", "next_check_at")
         VALUES ($1, $2, $3, 'in_progress', $4, $5, $6, $7, $8, now() + make_interval(secs => $9::double precision))
         ON CONFLICT ("vector_store_id", "file_id") DO UPDATE SET
           "status" = 'in_progress', "last_error_code" = NULL, "last_error_message" = NULL,
           "attributes" = CASE WHEN $10 THEN EXCLUDED."attributes" ELSE "rag"."vector_store_files"."attributes" END,
           "max_chunk_size_tokens" = EXCLUDED."max_chunk_size_tokens",
           "chunk_overlap_tokens" = EXCLUDED."chunk_overlap_tokens", "batch_id" = EXCLUDED."batch_id",
           "ingest_id" = EXCLUDED."ingest_id", "next_check_at" = EXCLUDED."next_check_at", "updated_at" = now()`,
        [
          r.vectorStoreId,
          r.fileId,
          r.userId,
          r.attributes === undefined || r.attributes === null ? null : JSON.stringify(r.attributes),
          r.maxChunkSizeTokens,
          r.chunkOverlapTokens,
          r.batchId,
          r.ingestId,
          graceMs / 1000,
          r.attributes !== undefined,
        ],
      );
    }
  }

  findOwned(userId: string, vectorStoreId: string, fileId: string): Promise<VectorStoreFileEntity | null> {
    return this.files.findOneBy({ userId, vectorStoreId, fileId });
  }

  findMany(vectorStoreId: string, fileIds: readonly string[]): Promise<VectorStoreFileEntity[]> {
    if (!fileIds.length) return Promise.resolve([]);
    return this.files
      .createQueryBuilder('f')
      .where('f.vector_store_id = :vectorStoreId AND f.file_id IN (:...fileIds)', { vectorStoreId, fileIds })
      .getMany();
  }

  /** The row an ingest job works on, locked for the rest of the transaction. */
  lockForIngest(em: EntityManager, vectorStoreId: string, fileId: string): Promise<VectorStoreFileEntity | null> {
    return em
      .getRepository(VectorStoreFileEntity)
      .createQueryBuilder('f')
      .setLock('pessimistic_write')
      .where('f.vector_store_id = :vectorStoreId AND f.file_id = :fileId', { vectorStoreId, fileId })
      .getOne();
  }

  find(vectorStoreId: string, fileId: string): Promise<VectorStoreFileEntity | null> {
    return this.files.findOneBy({ vectorStoreId, fileId });
  }

  listPage(
    userId: string,
    vectorStoreId: string,
    q: { after?: string; before?: string; order: 'asc' | 'desc'; limit: number; filter?: VectorStoreFileStatus },
    batchId?: string,
  ) {
    const qb = this.files
      .createQueryBuilder('f')
      .where('f.user_id = :userId AND f.vector_store_id = :vectorStoreId', { userId, vectorStoreId });
    if (batchId !== undefined) qb.andWhere('f.batch_id = :batchId', { batchId });
    if (q.filter !== undefined) qb.andWhere('f.status = :status', { status: q.filter });
    const cursor = (param: string) =>
      `(SELECT a.created_at, a.file_id FROM "rag"."vector_store_files" a WHERE a.vector_store_id = :vectorStoreId AND a.file_id = ${param} AND a.user_id = :userId)`;
    if (q.after !== undefined) {
      qb.andWhere(`(f.created_at, f.file_id) ${q.order === 'asc' ? '>' : '<'} ${cursor(':after')}`, { after: q.after });
    }
    if (q.before !== undefined) {
      qb.andWhere(`(f.created_at, f.file_id) ${q.order === 'asc' ? '<' : '>'} ${cursor(':before')}`, {
        before: q.before,
      });
    }
    const dir = q.order === 'asc' ? 'ASC' : 'DESC';
    return qb
      .orderBy('f.created_at', dir)
      .addOrderBy('f.file_id', dir)
      .take(q.limit + 1)
      .getMany();
  }

  async setAttributes(em: EntityManager, vectorStoreId: string, fileId: string, attributes: Attributes | null) {
    await em.query(
      `UPDATE "rag"."vector_store_files" SET "attributes" = $3, "updated_at" = now()
       WHERE "vector_store_id" = $1 AND "file_id" = $2`,
      [vectorStoreId, fileId, attributes === null ? null : JSON.stringify(attributes)],
    );
  }

  async complete(em: EntityManager, vectorStoreId: string, fileId: string, usageBytes: number): Promise<void> {
    await em.query(
      `UPDATE "rag"."vector_store_files" SET "status" = 'completed', "usage_bytes" = $3, "last_error_code" = NULL,
         "last_error_message" = NULL, "updated_at" = now() WHERE "vector_store_id" = $1 AND "file_id" = $2`,
      [vectorStoreId, fileId, usageBytes],
    );
  }

  async fail(
    em: EntityManager,
    vectorStoreId: string,
    fileId: string,
    error: { code: VectorStoreFileErrorCode; message: string },
  ): Promise<void> {
    await em.query(
      `UPDATE "rag"."vector_store_files" SET "status" = 'failed', "usage_bytes" = 0, "last_error_code" = $3,
         "last_error_message" = $4, "updated_at" = now() WHERE "vector_store_id" = $1 AND "file_id" = $2`,
      [vectorStoreId, fileId, error.code, error.message.slice(0, 2000)],
    );
  }

  async delete(em: EntityManager, userId: string, vectorStoreId: string, fileIds: readonly string[]): Promise<number> {
    if (!fileIds.length) return 0;
    const res = (await em.query(
      `DELETE FROM "rag"."vector_store_files" WHERE "user_id" = $1 AND "vector_store_id" = $2 AND "file_id" = ANY($3)`,
      [userId, vectorStoreId, [...fileIds]],
    )) as [unknown, number];
    return res[1] ?? 0;
  }

  /** The vector stores a file is attached to (to remove its vectors when it is deleted). */
  async storesOfFile(userId: string, fileId: string): Promise<string[]> {
    const rows = await this.files.find({ where: { userId, fileId }, select: { vectorStoreId: true } });
    return rows.map((r) => r.vectorStoreId);
  }

  /** Where the files are attached, with each store's embedding model (to remove their vectors). */
  async attachmentsOfFiles(
    em: EntityManager,
    fileIds: readonly string[],
  ): Promise<{ vectorStoreId: string; fileId: string; embeddingModel: string }[]> {
    if (!fileIds.length) return [];
    return (await em.query(
      `SELECT f."vector_store_id" AS "vectorStoreId", f."file_id" AS "fileId", s."embedding_model" AS "embeddingModel"
       FROM "rag"."vector_store_files" f JOIN "rag"."vector_stores" s ON s."id" = f."vector_store_id"
       WHERE f."file_id" = ANY($1)`,
      [[...fileIds]],
    )) as { vectorStoreId: string; fileId: string; embeddingModel: string }[];
  }

  /**
   * Takes in-progress files whose check is due and leases them for `leaseMs` (other replicas skip them); each
   * take counts as an attempt of the sweep.
   */
  async claimDue(limit: number, leaseMs: number): Promise<SweepRow[]> {
    const result = (await this.files.query(
      `UPDATE "rag"."vector_store_files" f
         SET "next_check_at" = now() + make_interval(secs => $2::double precision)
       WHERE (f."vector_store_id", f."file_id") IN (
         SELECT "vector_store_id", "file_id" FROM "rag"."vector_store_files"
         WHERE "status" = 'in_progress' AND "next_check_at" <= now()
         ORDER BY "next_check_at" LIMIT $1 FOR UPDATE SKIP LOCKED
       )
       RETURNING f."vector_store_id" AS "vectorStoreId", f."file_id" AS "fileId", f."ingest_id" AS "ingestId"`,
      [limit, leaseMs / 1000],
    )) as unknown;
    const rows = Array.isArray(result) && Array.isArray(result[0]) ? (result[0] as SweepRow[]) : [];
    return rows;
  }

  // ---- file batches ----

  async insertBatch(em: EntityManager, row: Pick<FileBatchEntity, 'id' | 'vectorStoreId' | 'userId'>): Promise<void> {
    await em
      .getRepository(FileBatchEntity)
      .insert({ ...row, cancelledCount: 0, cancelledAt: null, createdAt: new Date() });
  }

  findBatch(userId: string, vectorStoreId: string, id: string): Promise<FileBatchEntity | null> {
    return this.batches.findOneBy({ id, userId, vectorStoreId });
  }

  async batchCounts(batch: FileBatchEntity): Promise<FileCounts> {
    const [row] = (await this.files.query(
      `SELECT count(*) FILTER (WHERE "status" = 'in_progress')::int AS in_progress,
              count(*) FILTER (WHERE "status" = 'completed')::int AS completed,
              count(*) FILTER (WHERE "status" = 'failed')::int AS failed,
              count(*) FILTER (WHERE "status" = 'cancelled')::int AS cancelled
       FROM "rag"."vector_store_files" WHERE "batch_id" = $1`,
      [batch.id],
    )) as Omit<FileCounts, 'total'>[];
    const counts = row ?? { in_progress: 0, completed: 0, failed: 0, cancelled: 0 };
    const cancelled = counts.cancelled + batch.cancelledCount;
    return { ...counts, cancelled, total: counts.in_progress + counts.completed + counts.failed + cancelled };
  }

  /** The batch's files still in progress, locked (cancel detaches them). */
  async inProgressOfBatch(em: EntityManager, batchId: string): Promise<string[]> {
    const rows = (await em.query(
      `SELECT "file_id" FROM "rag"."vector_store_files" WHERE "batch_id" = $1 AND "status" = 'in_progress' FOR UPDATE`,
      [batchId],
    )) as { file_id: string }[];
    return rows.map((r) => r.file_id);
  }

  async markBatchCancelled(em: EntityManager, batchId: string, cancelled: number): Promise<void> {
    await em.query(
      `UPDATE "rag"."file_batches" SET "cancelled_count" = "cancelled_count" + $2,
         "cancelled_at" = coalesce("cancelled_at", now()) WHERE "id" = $1`,
      [batchId, cancelled],
    );
  }
}
