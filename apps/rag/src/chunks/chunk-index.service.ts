import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Attributes } from '@llmp/contracts';
import { VECTOR_STORE, VectorRecord, VectorSearchHit, VectorSearchOptions, VectorStore } from '@llmp/platform';
import { attributesChange, chunkCollection } from './chunk-vectors';
import { VectorDeletionsRepository } from './vector-deletions.repository';

/** Failed vector deletions one retry pass takes at a time. */
const RETRY_BATCH = 50;

/**
 * The vectors of chunks in the vector store. Postgres is the source of truth: a search answers only chunks whose
 * rows exist and whose file is completed, so a vector whose removal failed is never answered; the failure is
 * recorded (`rag.vector_deletions`) and retried by the purge loop (`retryFailedDeletions`), so it only takes space
 * until the vector backend answers again.
 */
@Injectable()
export class ChunkIndex {
  private readonly logger = new Logger(ChunkIndex.name);

  constructor(
    @Inject(VECTOR_STORE) private readonly store: VectorStore,
    private readonly failed: VectorDeletionsRepository,
  ) {}

  async upsert(model: string, records: readonly VectorRecord[]): Promise<void> {
    if (!records.length) return;
    const collection = chunkCollection(model);
    await this.store.ensureCollection(collection, records[0]!.vector.length);
    await this.store.upsert(collection, records);
  }

  /** The chunks nearest the vector among those matching the filter (applied inside the store query). */
  search(model: string, vector: Float32Array, options: VectorSearchOptions): Promise<VectorSearchHit[]> {
    return this.store.search(chunkCollection(model), vector, options);
  }

  /** Removes the vectors of a file in a store; a failure is recorded and retried later. */
  removeFile(model: string, vectorStoreId: string, fileId: string): Promise<void> {
    return this.remove(model, [{ vectorStoreId, fileId }]);
  }

  /** Throws if the store refuses: the ingest that calls it is retried. */
  async removeFileStrict(model: string, vectorStoreId: string, fileId: string, fromIndex?: number): Promise<void> {
    await this.store.deleteWhere(chunkCollection(model), {
      vector_store_id: vectorStoreId,
      file_id: fileId,
      ...(fromIndex !== undefined ? { chunk_index: { $gte: fromIndex } } : {}),
    });
  }

  /** Removes the vectors of a store; a failure is recorded and retried later. */
  removeStore(model: string, vectorStoreId: string): Promise<void> {
    return this.remove(model, [{ vectorStoreId, fileId: null }]);
  }

  /**
   * Removes every vector of the user in one call; if that fails, a deletion of each of `vectorStoreIds` (the user's
   * deleted stores: every vector lives in a store) is recorded, never one by user (their new data would go too).
   */
  async removeUser(model: string, userId: string, vectorStoreIds: readonly string[]): Promise<void> {
    try {
      await this.store.deleteWhere(chunkCollection(model), { user_id: userId });
    } catch (err) {
      await this.recordFailure(
        model,
        vectorStoreIds.map((vectorStoreId) => ({ vectorStoreId, fileId: null })),
        err,
      );
    }
  }

  /** Replaces the attribute fields of a file's chunks (searches filter on the new ones). */
  async updateAttributes(
    model: string,
    vectorStoreId: string,
    fileId: string,
    before: Attributes | null,
    after: Attributes | null,
  ): Promise<void> {
    const change = attributesChange(before, after);
    if (!Object.keys(change).length) return;
    await this.store.updateWhere(chunkCollection(model), { vector_store_id: vectorStoreId, file_id: fileId }, change);
  }

  /**
   * Retries failed vector deletions that are due, leased so replicas do not race (`SKIP LOCKED`); one that fails
   * again waits longer (from `baseBackoffS`, doubling, at most an hour). Answers how many it settled.
   */
  async retryFailedDeletions(baseBackoffS: number): Promise<number> {
    let settled = 0;
    for (;;) {
      const due = await this.failed.claimDue(RETRY_BATCH, Math.max(60, baseBackoffS));
      for (const d of due) {
        try {
          await this.failed.settle(d, async () => {
            await this.store.deleteWhere(d.collection, {
              vector_store_id: d.vectorStoreId,
              ...(d.fileId !== null ? { file_id: d.fileId } : {}),
            });
          });
          settled++;
        } catch (err) {
          await this.failed.postpone(d, baseBackoffS, (err as Error).message);
        }
      }
      if (due.length < RETRY_BATCH) return settled;
    }
  }

  private async remove(model: string, targets: readonly { vectorStoreId: string; fileId: string | null }[]) {
    const collection = chunkCollection(model);
    for (const t of targets) {
      try {
        await this.store.deleteWhere(collection, {
          vector_store_id: t.vectorStoreId,
          ...(t.fileId !== null ? { file_id: t.fileId } : {}),
        });
      } catch (err) {
        await this.recordFailure(model, [t], err);
      }
    }
  }

  private async recordFailure(
    model: string,
    targets: readonly { vectorStoreId: string; fileId: string | null }[],
    err: unknown,
  ): Promise<void> {
    const message = (err as Error).message;
    const collection = chunkCollection(model);
    try {
      await this.failed.record(
        targets.map((t) => ({ collection, ...t })),
        message,
      );
      this.logger.warn({ err: message, collection, targets }, 'could not remove chunk vectors (recorded, retried)');
    } catch (recordErr) {
      // Postgres away too: the vectors stay orphans (never answered: chunks are re-read from Postgres).
      this.logger.warn(
        { err: message, recordErr: (recordErr as Error).message, collection, targets },
        'could not remove chunk vectors nor record it (never answered)',
      );
    }
  }
}
