import { z } from 'zod';

/** The rag service's own queue: ingest of vector store files. */
export const RAG_INGEST_QUEUE = 'rag-ingest';

/**
 * Ingests one vector store file: extract → chunk → embed (through `embedding-<model>`) → upsert chunks and
 * vectors → status `completed` (or `failed` with `last_error`). `ingestId` names one attachment (a re-attach gets a
 * new one): a job whose ingestId is no longer the row's is stale and does nothing. Job id `rag-ingest-<ingestId>`.
 */
export const RagIngestV1PayloadSchema = z.object({
  vectorStoreId: z.string().min(1),
  fileId: z.string().min(1),
  ingestId: z.string().uuid(),
});
export type RagIngestV1Payload = z.infer<typeof RagIngestV1PayloadSchema>;

export const RagIngestV1ResultSchema = z.object({
  status: z.enum(['completed', 'failed', 'skipped']),
  chunks: z.number().int().nonnegative(),
});
export type RagIngestV1Result = z.infer<typeof RagIngestV1ResultSchema>;

/**
 * What a running ingest job reports as its BullMQ progress: its stage and, once the file is chunked, how many of
 * its chunks are embedded. The rag service reads it back for `GET /v1/vector_stores/{id}/files/{file_id}`.
 */
export const IngestProgressSchema = z.object({
  stage: z.enum(['queued', 'extracting', 'embedding', 'indexing']),
  chunks_embedded: z.number().int().nonnegative(),
  chunks_total: z.number().int().nonnegative().nullable(),
});
export type IngestProgress = z.infer<typeof IngestProgressSchema>;

/**
 * The share of an ingest done, 0..1: extracting and chunking are the first tenth, embedding (by chunks) up to 0.9,
 * writing the chunks and vectors the rest. A weight by stage, not a time estimate.
 */
export function ingestFraction(p: IngestProgress): number {
  switch (p.stage) {
    case 'queued':
      return 0;
    case 'extracting':
      return 0.05;
    case 'embedding':
      return p.chunks_total ? 0.1 + (0.8 * Math.min(p.chunks_embedded, p.chunks_total)) / p.chunks_total : 0.1;
    case 'indexing':
      return 0.95;
  }
}

export function ragIngestJobId(ingestId: string): string {
  return `rag-ingest-${ingestId}`;
}
