import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import {
  Attributes,
  ChunkingStrategyParam,
  FILE_BATCH_ID_PREFIX,
  ListPage,
  ParsedRagRpcRequest,
  RagIngestV1Payload,
  VectorStoreFileBatchObject,
  VectorStoreFileContentPage,
  VectorStoreFileDeleted,
  VectorStoreFileListQuery,
  VectorStoreFileObject,
} from '@llmp/contracts';
import { toListPage } from '@llmp/platform';
import { ChunkIndex } from '../chunks/chunk-index.service';
import { ChunksRepository } from '../chunks/chunks.repository';
import { newId } from '../common/ids';
import { ragConfig } from '../config/rag.config';
import { RagError } from '../errors/rag.error';
import { FilesRepository } from '../files/files.repository';
import { IngestQueue } from '../ingest/ingest-queue.service';
import type { VectorStoreEntity } from './vector-store.entity';
import { chunkSizes, fileBatchView, vectorStoreFileView } from './vector-store.views';
import { VectorStoreFilesRepository } from './vector-store-files.repository';
import { VectorStoresRepository } from './vector-stores.repository';

export interface FileToAttach {
  file_id: string;
  /** Undefined keeps the attributes of an existing attachment. */
  attributes?: Attributes | null;
  chunking_strategy?: ChunkingStrategyParam;
}

/** Vector store files and file batches. */
@Injectable()
export class VectorStoreFilesService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly stores: VectorStoresRepository,
    private readonly rows: VectorStoreFilesRepository,
    private readonly files: FilesRepository,
    private readonly chunks: ChunksRepository,
    private readonly index: ChunkIndex,
    private readonly queue: IngestQueue,
    @Inject(ragConfig.KEY) private readonly cfg: ConfigType<typeof ragConfig>,
  ) {}

  /**
   * Attaches the user's files in the caller's transaction (`in_progress`, a new ingest id each) and answers the
   * jobs to enqueue once it commits. An unknown file fails the whole call (not_found naming `param`). Attaching a
   * file already attached ingests it again: its chunk ids are the same, so each chunk is stored once.
   */
  async attachInTransaction(
    em: EntityManager,
    userId: string,
    vectorStoreId: string,
    toAttach: readonly FileToAttach[],
    batchId: string | null,
    param: string,
  ): Promise<RagIngestV1Payload[]> {
    if (!toAttach.length) return [];
    const owned = await this.files.findManyOwned(
      userId,
      toAttach.map((f) => f.file_id),
    );
    const missing = toAttach.find((f) => !owned.has(f.file_id));
    if (missing) throw RagError.notFound(`file ${missing.file_id}`, param);
    // The last entry of a file wins.
    const byFile = new Map(toAttach.map((f) => [f.file_id, f]));
    const attachments = [...byFile.values()].map((f) => {
      const sizes = chunkSizes(f.chunking_strategy);
      return {
        vectorStoreId,
        fileId: f.file_id,
        userId,
        attributes: f.attributes,
        maxChunkSizeTokens: sizes.max_chunk_size_tokens,
        chunkOverlapTokens: sizes.chunk_overlap_tokens,
        batchId,
        ingestId: randomUUID(),
      };
    });
    await this.rows.attach(em, attachments, this.cfg.ingest.sweepIntervalMs);
    await em.query(`UPDATE "rag"."vector_stores" SET "last_active_at" = now() WHERE "id" = $1`, [vectorStoreId]);
    return attachments.map((a) => ({ vectorStoreId, fileId: a.fileId, ingestId: a.ingestId }));
  }

  dispatch(jobs: readonly RagIngestV1Payload[]): Promise<void> {
    return this.queue.dispatch(jobs);
  }

  async create(req: ParsedRagRpcRequest<'createVectorStoreFile'>): Promise<VectorStoreFileObject> {
    await this.ownedStore(req.userId, req.vectorStoreId);
    const jobs = await this.ds.transaction((em) =>
      this.attachInTransaction(em, req.userId, req.vectorStoreId, [req], null, 'file_id'),
    );
    await this.dispatch(jobs);
    return this.get(req.userId, req.vectorStoreId, req.file_id);
  }

  async get(userId: string, vectorStoreId: string, fileId: string): Promise<VectorStoreFileObject> {
    const row = await this.rows.findOwned(userId, vectorStoreId, fileId);
    if (!row) throw RagError.notFound('vector store file', 'file_id');
    const view = vectorStoreFileView(row);
    if (row.status !== 'in_progress') return view;
    return { ...view, progress: await this.queue.progress(row.ingestId) };
  }

  async list(
    userId: string,
    vectorStoreId: string,
    q: VectorStoreFileListQuery,
    batchId?: string,
  ): Promise<ListPage<VectorStoreFileObject>> {
    await this.ownedStore(userId, vectorStoreId);
    return toListPage(await this.rows.listPage(userId, vectorStoreId, q, batchId), q.limit, vectorStoreFileView);
  }

  /** New attributes in Postgres and on the chunks' vectors, in one go (the vectors first; the row commits after). */
  async updateAttributes(req: ParsedRagRpcRequest<'updateVectorStoreFile'>): Promise<VectorStoreFileObject> {
    const store = await this.ownedStore(req.userId, req.vectorStoreId);
    await this.ds.transaction(async (em) => {
      const row = await this.rows.lockForIngest(em, req.vectorStoreId, req.fileId);
      if (!row || row.userId !== req.userId) throw RagError.notFound('vector store file', 'file_id');
      await this.rows.setAttributes(em, req.vectorStoreId, req.fileId, req.attributes);
      await this.index.updateAttributes(
        store.embeddingModel,
        req.vectorStoreId,
        req.fileId,
        row.attributes,
        req.attributes,
      );
    });
    return this.get(req.userId, req.vectorStoreId, req.fileId);
  }

  /** Detaches the file: its row and chunks go (cascade), then its vectors. */
  async delete(userId: string, vectorStoreId: string, fileId: string): Promise<VectorStoreFileDeleted> {
    const store = await this.ownedStore(userId, vectorStoreId);
    const deleted = await this.ds.transaction((em) => this.rows.delete(em, userId, vectorStoreId, [fileId]));
    if (!deleted) throw RagError.notFound('vector store file', 'file_id');
    await this.index.removeFile(store.embeddingModel, vectorStoreId, fileId);
    return { id: fileId, object: 'vector_store.file.deleted', deleted: true };
  }

  async content(userId: string, vectorStoreId: string, fileId: string): Promise<VectorStoreFileContentPage> {
    const row = await this.rows.findOwned(userId, vectorStoreId, fileId);
    if (!row) throw RagError.notFound('vector store file', 'file_id');
    const texts = row.status === 'completed' ? await this.chunks.textsOf(vectorStoreId, fileId) : [];
    return {
      object: 'vector_store.file_content.page',
      data: texts.map((text) => ({ type: 'text', text })),
      has_more: false,
      next_page: null,
    };
  }

  // ---- file batches ----

  async createBatch(req: ParsedRagRpcRequest<'createFileBatch'>): Promise<VectorStoreFileBatchObject> {
    await this.ownedStore(req.userId, req.vectorStoreId);
    const id = newId(FILE_BATCH_ID_PREFIX);
    const toAttach: FileToAttach[] = req.files
      ? req.files.map((f) => ({
          file_id: f.file_id,
          attributes: f.attributes !== undefined ? f.attributes : req.attributes,
          chunking_strategy: f.chunking_strategy ?? req.chunking_strategy,
        }))
      : (req.file_ids ?? []).map((fileId) => ({
          file_id: fileId,
          attributes: req.attributes,
          chunking_strategy: req.chunking_strategy,
        }));
    const jobs = await this.ds.transaction(async (em) => {
      await this.rows.insertBatch(em, { id, vectorStoreId: req.vectorStoreId, userId: req.userId });
      return this.attachInTransaction(
        em,
        req.userId,
        req.vectorStoreId,
        toAttach,
        id,
        req.files ? 'files' : 'file_ids',
      );
    });
    await this.dispatch(jobs);
    return this.getBatch(req.userId, req.vectorStoreId, id);
  }

  async getBatch(userId: string, vectorStoreId: string, batchId: string): Promise<VectorStoreFileBatchObject> {
    const batch = await this.rows.findBatch(userId, vectorStoreId, batchId);
    if (!batch) throw RagError.notFound('file batch', 'batch_id');
    return fileBatchView(batch, await this.rows.batchCounts(batch));
  }

  /**
   * Cancels the batch's files still in progress: they are detached at once (row, chunks, vectors) and counted as
   * cancelled in the batch, so no client ever polls a vector store file stuck in `cancelled`.
   */
  async cancelBatch(userId: string, vectorStoreId: string, batchId: string): Promise<VectorStoreFileBatchObject> {
    const store = await this.ownedStore(userId, vectorStoreId);
    const batch = await this.rows.findBatch(userId, vectorStoreId, batchId);
    if (!batch) throw RagError.notFound('file batch', 'batch_id');
    const cancelled = await this.ds.transaction(async (em) => {
      const fileIds = await this.rows.inProgressOfBatch(em, batchId);
      await this.rows.delete(em, userId, vectorStoreId, fileIds);
      await this.rows.markBatchCancelled(em, batchId, fileIds.length);
      return fileIds;
    });
    for (const fileId of cancelled) await this.index.removeFile(store.embeddingModel, vectorStoreId, fileId);
    return this.getBatch(userId, vectorStoreId, batchId);
  }

  async listBatchFiles(req: ParsedRagRpcRequest<'listFileBatchFiles'>): Promise<ListPage<VectorStoreFileObject>> {
    const { userId, vectorStoreId, batchId, ...q } = req;
    if (!(await this.rows.findBatch(userId, vectorStoreId, batchId))) throw RagError.notFound('file batch', 'batch_id');
    return this.list(userId, vectorStoreId, q, batchId);
  }

  private async ownedStore(userId: string, id: string): Promise<VectorStoreEntity> {
    const store = await this.stores.findOwned(userId, id);
    if (!store) throw RagError.notFound('vector store', 'vector_store_id');
    return store;
  }
}
