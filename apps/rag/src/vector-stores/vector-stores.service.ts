import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import {
  ListPage,
  ParsedRagRpcRequest,
  VECTOR_STORE_ID_PREFIX,
  VectorStoreDeleted,
  VectorStoreListQuery,
  VectorStoreObject,
} from '@llmp/contracts';
import { toListPage } from '@llmp/platform';
import { ChunkIndex } from '../chunks/chunk-index.service';
import { newId } from '../common/ids';
import { ragConfig } from '../config/rag.config';
import { RagError } from '../errors/rag.error';
import { VectorStoreFilesService } from './vector-store-files.service';
import type { VectorStoreEntity } from './vector-store.entity';
import { vectorStoreView } from './vector-store.views';
import { VectorStoresRepository } from './vector-stores.repository';

@Injectable()
export class VectorStoresService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly stores: VectorStoresRepository,
    private readonly storeFiles: VectorStoreFilesService,
    private readonly index: ChunkIndex,
    @Inject(ragConfig.KEY) private readonly cfg: ConfigType<typeof ragConfig>,
  ) {}

  /** Creates the store and attaches `file_ids` in one transaction (an unknown file: nothing is created). */
  async create(req: ParsedRagRpcRequest<'createVectorStore'>): Promise<VectorStoreObject> {
    const id = newId(VECTOR_STORE_ID_PREFIX);
    const jobs = await this.ds.transaction(async (em) => {
      await this.stores.insert(em, {
        id,
        userId: req.userId,
        name: req.name ?? '',
        description: req.description ?? null,
        metadata: req.metadata ?? null,
        embeddingModel: this.cfg.embeddingModel,
        expiresAfterDays: req.expires_after?.days ?? null,
      });
      const files = (req.file_ids ?? []).map((fileId) => ({
        file_id: fileId,
        chunking_strategy: req.chunking_strategy,
      }));
      return this.storeFiles.attachInTransaction(em, req.userId, id, files, null, 'file_ids');
    });
    await this.storeFiles.dispatch(jobs);
    return this.get(req.userId, id);
  }

  async get(userId: string, id: string): Promise<VectorStoreObject> {
    return this.view(await this.owned(userId, id));
  }

  async owned(userId: string, id: string): Promise<VectorStoreEntity> {
    const store = await this.stores.findOwned(userId, id);
    if (!store) throw RagError.notFound('vector store');
    return store;
  }

  async list(userId: string, q: VectorStoreListQuery): Promise<ListPage<VectorStoreObject>> {
    const rows = await this.stores.listPage(userId, q);
    const usage = await this.stores.usage(rows.map((r) => r.id));
    return toListPage(rows, q.limit, (r) => vectorStoreView(r, usage.get(r.id)!));
  }

  async update(req: ParsedRagRpcRequest<'updateVectorStore'>): Promise<VectorStoreObject> {
    const store = await this.owned(req.userId, req.id);
    await this.stores.update(req.userId, store.id, {
      ...(req.name !== undefined ? { name: req.name ?? '' } : {}),
      ...(req.metadata !== undefined ? { metadata: req.metadata } : {}),
      ...(req.expires_after !== undefined
        ? { expiresAfterDays: req.expires_after?.days ?? null, lastActiveAt: new Date() }
        : {}),
    });
    return this.get(req.userId, store.id);
  }

  /** Deletes the store with its files' chunks (cascade), then their vectors. */
  async delete(userId: string, id: string): Promise<VectorStoreDeleted> {
    const store = await this.owned(userId, id);
    if (!(await this.stores.delete(userId, id))) throw RagError.notFound('vector store');
    await this.removeVectors(store);
    return { id, object: 'vector_store.deleted', deleted: true };
  }

  /**
   * Deletes up to `limit` stores past their `expires_at` as `delete` does (rows and chunks, then vectors); the
   * stores' files stay (as OpenAI's). Answers how many went.
   */
  async purgeExpired(limit: number): Promise<number> {
    const gone = await this.stores.deleteExpired(limit);
    for (const store of gone) await this.removeVectors(store);
    return gone.length;
  }

  /** A failed removal is recorded and retried by the purge loop; searches never answer the leftovers meanwhile. */
  private removeVectors(store: Pick<VectorStoreEntity, 'id' | 'embeddingModel'>): Promise<void> {
    return this.index.removeStore(store.embeddingModel, store.id);
  }

  private async view(store: VectorStoreEntity): Promise<VectorStoreObject> {
    const usage = await this.stores.usage([store.id]);
    return vectorStoreView(store, usage.get(store.id)!);
  }
}
