import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Job } from 'bullmq';
import { DataSource } from 'typeorm';
import type { IngestProgress, RagIngestV1Payload, RagIngestV1Result, VectorStoreFileErrorCode } from '@llmp/contracts';
import type { VectorRecord } from '@llmp/platform';
import { chunkId } from '../../common/ids';
import { ragConfig } from '../../config/rag.config';
import { ChunkIndex } from '../../chunks/chunk-index.service';
import { ChunkVectorPayload, attributesPayload } from '../../chunks/chunk-vectors';
import { ChunkRow, ChunksRepository } from '../../chunks/chunks.repository';
import { RagEmbedder, isUsableVector } from '../../embedding/rag-embedder.service';
import { FilesRepository } from '../../files/files.repository';
import { VectorStoreFilesRepository } from '../../vector-stores/vector-store-files.repository';
import { VectorStoresRepository } from '../../vector-stores/vector-stores.repository';
import { chunkText, resolveChunkOptions } from '../chunking';
import { ExtractError, extractText } from '@llmp/documents';
import { ChunkTokenizers } from './chunk-tokenizers.service';

/** A failure that retrying cannot mend: the file is marked failed at once. */
class PermanentIngestError extends Error {
  constructor(
    readonly code: VectorStoreFileErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Ingests one vector store file: extract → chunk (the embedding model's tokenizer) → embed (batched, through the
 * embedding queue) → upsert vectors → in one transaction, store the chunks and flip the file to `completed`. Until
 * that commit no search answers any of it (searches answer only chunks of completed files), so nothing is ever
 * half-indexed; on a permanent failure (or the last attempt) the file is `failed` with `last_error` and whatever
 * was written is removed. Chunk ids are deterministic, so a retried job or a second attach stores each chunk once.
 */
@Injectable()
export class IngestService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly files: FilesRepository,
    private readonly stores: VectorStoresRepository,
    private readonly storeFiles: VectorStoreFilesRepository,
    private readonly chunks: ChunksRepository,
    private readonly index: ChunkIndex,
    private readonly embedder: RagEmbedder,
    private readonly tokenizers: ChunkTokenizers,
    @Inject(ragConfig.KEY) private readonly cfg: ConfigType<typeof ragConfig>,
  ) {}

  async ingest(payload: RagIngestV1Payload, job: Job): Promise<RagIngestV1Result> {
    const { vectorStoreId, fileId, ingestId } = payload;
    const row = await this.storeFiles.find(vectorStoreId, fileId);
    if (!row || row.ingestId !== ingestId || row.status !== 'in_progress') return { status: 'skipped', chunks: 0 };
    const store = await this.stores.findById(vectorStoreId);
    if (!store) return { status: 'skipped', chunks: 0 };
    const model = store.embeddingModel;
    try {
      const file = await this.files.contentById(fileId);
      if (!file) return { status: 'skipped', chunks: 0 };
      report(job, { stage: 'extracting', chunks_embedded: 0, chunks_total: null });
      const { text } = await extractText({ bytes: file.content, filename: file.filename, mimeType: file.mimeType });
      const { model: def, tokenizer } = await this.tokenizers.get(model);
      const opts = resolveChunkOptions(
        {
          type: 'static',
          static: { max_chunk_size_tokens: row.maxChunkSizeTokens, chunk_overlap_tokens: row.chunkOverlapTokens },
        },
        { maxTokens: def.max_tokens, specialTokens: tokenizer.specialTokens },
      );
      const pieces = chunkText(text, tokenizer, opts).filter((c) => c.text.trim().length > 0);
      if (!pieces.length) throw new PermanentIngestError('invalid_file', 'The file has no text to index.');
      const rows: ChunkRow[] = pieces.map((c) => ({
        id: chunkId(vectorStoreId, fileId, c.index),
        chunkIndex: c.index,
        text: c.text,
        charStart: c.start,
        charEnd: c.end,
        tokens: c.tokens,
      }));

      const vectors = await this.embedAll(
        model,
        rows.map((r) => r.text),
        `${ingestId}-${job.attemptsMade}`,
        (done) => report(job, { stage: 'embedding', chunks_embedded: done, chunks_total: rows.length }),
      );
      report(job, { stage: 'indexing', chunks_embedded: rows.length, chunks_total: rows.length });
      const attributes = attributesPayload(row.attributes);
      const records: VectorRecord[] = [];
      rows.forEach((r, i) => {
        // A chunk the model has no tokens for stays keyword-searchable, without a vector.
        if (!isUsableVector(vectors[i]!)) return;
        const payload: ChunkVectorPayload = {
          user_id: row.userId,
          vector_store_id: vectorStoreId,
          file_id: fileId,
          chunk_index: r.chunkIndex,
        };
        records.push({ id: r.id, vector: vectors[i]!, payload: { ...payload, ...attributes } });
      });
      await this.index.upsert(model, records);
      // Chunks of an earlier ingest of this file beyond the new ones.
      await this.index.removeFileStrict(model, vectorStoreId, fileId, rows.length);

      const done = await this.ds.transaction(async (em) => {
        const locked = await this.storeFiles.lockForIngest(em, vectorStoreId, fileId);
        if (!locked) return 'gone' as const;
        if (locked.ingestId !== ingestId || locked.status !== 'in_progress') return 'stale' as const;
        await this.chunks.replaceFileChunks(em, { vectorStoreId, fileId, userId: row.userId }, rows);
        const usage = rows.reduce((n, r) => n + Buffer.byteLength(r.text), 0);
        await this.storeFiles.complete(em, vectorStoreId, fileId, usage);
        return 'completed' as const;
      });
      // Detached meanwhile: its vectors are this job's (a newer attach of it would have a row).
      if (done === 'gone') await this.index.removeFile(model, vectorStoreId, fileId);
      return done === 'completed' ? { status: 'completed', chunks: rows.length } : { status: 'skipped', chunks: 0 };
    } catch (err) {
      const permanent = permanentError(err);
      const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      if (!permanent && !lastAttempt) throw err;
      const error = permanent ?? {
        code: 'server_error' as const,
        message: `The file could not be indexed: ${(err as Error).message}`.slice(0, 500),
      };
      await this.fail(payload, model, error);
      return { status: 'failed', chunks: 0 };
    }
  }

  /** Marks the file failed (if the attachment is still this one) and removes what was written for it. */
  async fail(
    payload: RagIngestV1Payload,
    model: string,
    error: { code: VectorStoreFileErrorCode; message: string },
  ): Promise<void> {
    const { vectorStoreId, fileId, ingestId } = payload;
    const failed = await this.ds.transaction(async (em) => {
      const locked = await this.storeFiles.lockForIngest(em, vectorStoreId, fileId);
      if (!locked || locked.ingestId !== ingestId || locked.status !== 'in_progress') return false;
      await this.chunks.deleteFileChunks(em, vectorStoreId, fileId);
      await this.storeFiles.fail(em, vectorStoreId, fileId, error);
      return true;
    });
    if (failed) await this.index.removeFile(model, vectorStoreId, fileId);
  }

  /** The sweep found the file's job ended without settling it. */
  async failStale(payload: RagIngestV1Payload, message: string): Promise<void> {
    const store = await this.stores.findById(payload.vectorStoreId);
    if (store) await this.fail(payload, store.embeddingModel, { code: 'server_error', message });
  }

  private async embedAll(
    model: string,
    texts: string[],
    jobKey: string,
    onEmbedded: (done: number) => void,
  ): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    const size = this.cfg.ingest.embedBatch;
    onEmbedded(0);
    for (let i = 0; i < texts.length; i += size) {
      out.push(...(await this.embedder.embed(model, texts.slice(i, i + size), `rag-embed-${jobKey}-${i / size}`)));
      onEmbedded(out.length);
    }
    return out;
  }
}

function permanentError(err: unknown): { code: VectorStoreFileErrorCode; message: string } | null {
  if (err instanceof ExtractError) return { code: err.code, message: err.message };
  if (err instanceof PermanentIngestError) return { code: err.code, message: err.message };
  // resolveChunkOptions refuses sizes out of range.
  if (err instanceof RangeError) return { code: 'invalid_file', message: err.message };
  return null;
}

/**
 * The job's progress for readers of the file (best effort: not awaited, and a failed write never fails the ingest;
 * each is one small Redis write, at most one per embedding batch).
 */
function report(job: Job, progress: IngestProgress): void {
  job.updateProgress(progress).catch(() => undefined);
}
