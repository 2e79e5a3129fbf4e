import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Attributes } from '@llmp/contracts';
import { VECTOR_STORE, VectorRecord, VectorSearchHit, VectorSearchOptions, VectorStore } from '@llmp/platform';
import { attributesChange, chunkCollection } from './chunk-vectors';

/**
 * The vectors of chunks in the vector store. Postgres is the source of truth: a search answers only chunks whose
 * rows exist and whose file is completed, so a vector whose removal failed (logged) is never answered; it only
 * takes space until the file or store is removed again.
 */
@Injectable()
export class ChunkIndex {
  private readonly logger = new Logger(ChunkIndex.name);

  constructor(@Inject(VECTOR_STORE) private readonly store: VectorStore) {}

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

  /** Removes the vectors of a file in a store; with `fromIndex`, only its chunks from that index on. */
  removeFile(model: string, vectorStoreId: string, fileId: string, fromIndex?: number): Promise<void> {
    return this.remove(model, {
      vector_store_id: vectorStoreId,
      file_id: fileId,
      ...(fromIndex !== undefined ? { chunk_index: { $gte: fromIndex } } : {}),
    });
  }

  /** Throws if the store refuses: the ingest that calls it is retried. */
  async removeFileStrict(model: string, vectorStoreId: string, fileId: string, fromIndex?: number): Promise<void> {
    await this.store.deleteWhere(chunkCollection(model), {
      vector_store_id: vectorStoreId,
      file_id: fileId,
      ...(fromIndex !== undefined ? { chunk_index: { $gte: fromIndex } } : {}),
    });
  }

  removeStore(model: string, vectorStoreId: string): Promise<void> {
    return this.remove(model, { vector_store_id: vectorStoreId });
  }

  removeUser(model: string, userId: string): Promise<void> {
    return this.remove(model, { user_id: userId });
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

  private async remove(model: string, filter: Parameters<VectorStore['deleteWhere']>[1]): Promise<void> {
    try {
      await this.store.deleteWhere(chunkCollection(model), filter);
    } catch (err) {
      this.logger.warn({ err: (err as Error).message, filter }, 'could not remove chunk vectors (never answered)');
    }
  }
}
