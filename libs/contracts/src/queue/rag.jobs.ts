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

export function ragIngestJobId(ingestId: string): string {
  return `rag-ingest-${ingestId}`;
}
