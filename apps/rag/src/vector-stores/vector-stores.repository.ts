import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import type { FileCounts } from '@llmp/contracts';
import { VectorStoreEntity } from './vector-store.entity';

export interface StoreUsage {
  counts: FileCounts;
  usageBytes: number;
  /** Whether any file of the store is still being ingested. */
  inProgress: boolean;
}

const EMPTY: StoreUsage = {
  counts: { in_progress: 0, completed: 0, failed: 0, cancelled: 0, total: 0 },
  usageBytes: 0,
  inProgress: false,
};

/** A deleted store: what removing its vectors needs. */
export type ExpiredStore = Pick<VectorStoreEntity, 'id' | 'userId' | 'embeddingModel'>;

/** The rows of a `DELETE … RETURNING` through `query` (TypeORM answers `[rows, affected]` for it on Postgres). */
function rowsOf<T>(result: unknown): T[] {
  return Array.isArray(result) && Array.isArray(result[0]) ? (result[0] as T[]) : [];
}

/** The user's vector stores (`rag.vector_stores`). Every query is scoped to the owner. */
@Injectable()
export class VectorStoresRepository {
  constructor(@InjectRepository(VectorStoreEntity) private readonly stores: Repository<VectorStoreEntity>) {}

  async insert(em: EntityManager, row: Omit<VectorStoreEntity, 'createdAt' | 'lastActiveAt'>): Promise<void> {
    const now = new Date();
    await em.getRepository(VectorStoreEntity).insert({ ...row, createdAt: now, lastActiveAt: now });
  }

  findOwned(userId: string, id: string, em?: EntityManager): Promise<VectorStoreEntity | null> {
    return (em?.getRepository(VectorStoreEntity) ?? this.stores).findOneBy({ id, userId });
  }

  /** For the ingest job (scoped by the vector store file it serves). */
  findById(id: string): Promise<VectorStoreEntity | null> {
    return this.stores.findOneBy({ id });
  }

  async findManyOwned(userId: string, ids: readonly string[]): Promise<VectorStoreEntity[]> {
    if (!ids.length) return [];
    return this.stores
      .createQueryBuilder('s')
      .where('s.id IN (:...ids) AND s.user_id = :userId', { ids: [...new Set(ids)], userId })
      .getMany();
  }

  listPage(userId: string, q: { after?: string; before?: string; order: 'asc' | 'desc'; limit: number }) {
    const qb = this.stores.createQueryBuilder('s').where('s.user_id = :userId', { userId });
    const cursor = (id: string) =>
      `(SELECT a.created_at, a.id FROM "rag"."vector_stores" a WHERE a.id = ${id} AND a.user_id = :userId)`;
    if (q.after !== undefined) {
      qb.andWhere(`(s.created_at, s.id) ${q.order === 'asc' ? '>' : '<'} ${cursor(':after')}`, { after: q.after });
    }
    if (q.before !== undefined) {
      qb.andWhere(`(s.created_at, s.id) ${q.order === 'asc' ? '<' : '>'} ${cursor(':before')}`, { before: q.before });
    }
    const dir = q.order === 'asc' ? 'ASC' : 'DESC';
    return qb
      .orderBy('s.created_at', dir)
      .addOrderBy('s.id', dir)
      .take(q.limit + 1)
      .getMany();
  }

  async update(
    userId: string,
    id: string,
    patch: Partial<Pick<VectorStoreEntity, 'name' | 'metadata' | 'expiresAfterDays' | 'lastActiveAt'>>,
  ): Promise<void> {
    if (Object.keys(patch).length) await this.stores.update({ id, userId }, patch);
  }

  /**
   * Marks the stores active (`last_active_at`, which `expires_after: last_active_at` counts from). At most one write
   * per store and minute: a search must not pay a commit for a timestamp that moves by seconds.
   */
  async touch(ids: readonly string[]): Promise<void> {
    if (ids.length) {
      await this.stores.query(
        `UPDATE "rag"."vector_stores" SET "last_active_at" = now()
         WHERE "id" = ANY($1) AND "last_active_at" < now() - interval '60 seconds'`,
        [[...ids]],
      );
    }
  }

  async delete(userId: string, id: string): Promise<boolean> {
    const res = await this.stores.delete({ id, userId });
    return (res.affected ?? 0) > 0;
  }

  /** Deletes every store of the user (their files, batches and chunks by cascade) and answers them. */
  async deleteAllOf(userId: string): Promise<ExpiredStore[]> {
    return rowsOf<ExpiredStore>(
      await this.stores.query(
        `DELETE FROM "rag"."vector_stores" WHERE "user_id" = $1
         RETURNING "id", "user_id" AS "userId", "embedding_model" AS "embeddingModel"`,
        [userId],
      ),
    );
  }

  /**
   * Deletes up to `limit` stores whose `expires_after` has passed (`last_active_at` + days), with their vector store
   * files, batches and chunks (cascade), and answers them. Leased with `SKIP LOCKED`: replicas purging at once take
   * different stores, and one being touched now is left for the next pass (the expiry is checked again there).
   */
  async deleteExpired(limit: number): Promise<ExpiredStore[]> {
    return rowsOf<ExpiredStore>(
      await this.stores.query(
        `DELETE FROM "rag"."vector_stores" WHERE "id" IN (
           SELECT "id" FROM "rag"."vector_stores"
           WHERE "expires_after_days" IS NOT NULL
             AND "last_active_at" + make_interval(days => "expires_after_days") <= now()
           ORDER BY "last_active_at" LIMIT $1 FOR UPDATE SKIP LOCKED
         )
         RETURNING "id", "user_id" AS "userId", "embedding_model" AS "embeddingModel"`,
        [limit],
      ),
    );
  }

  /** Exact file counts and usage of each store, counted from its vector store files. */
  async usage(ids: readonly string[]): Promise<Map<string, StoreUsage>> {
    const out = new Map<string, StoreUsage>(ids.map((id) => [id, structuredClone(EMPTY)]));
    if (!ids.length) return out;
    const rows = (await this.stores.query(
      `SELECT "vector_store_id" AS id,
              count(*) FILTER (WHERE "status" = 'in_progress')::int AS in_progress,
              count(*) FILTER (WHERE "status" = 'completed')::int AS completed,
              count(*) FILTER (WHERE "status" = 'failed')::int AS failed,
              count(*) FILTER (WHERE "status" = 'cancelled')::int AS cancelled,
              count(*)::int AS total,
              coalesce(sum("usage_bytes"), 0)::bigint AS usage_bytes
       FROM "rag"."vector_store_files" WHERE "vector_store_id" = ANY($1) GROUP BY "vector_store_id"`,
      [[...ids]],
    )) as (FileCounts & { id: string; usage_bytes: string })[];
    for (const r of rows) {
      const { id, usage_bytes, ...counts } = r;
      out.set(id, { counts, usageBytes: Number(usage_bytes), inProgress: counts.in_progress > 0 });
    }
    return out;
  }
}
