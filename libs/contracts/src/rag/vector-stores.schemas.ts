import { z } from 'zod';
import { MetadataSchema } from '../chat-history/conversations.schemas';
import type { IngestProgress } from '../queue/rag.jobs';

/**
 * OpenAI's Vector Stores API objects (vector stores, vector store files, file batches), field for field with the
 * `openai` package's types (`resources/vector-stores/*.d.ts`).
 */

export const VECTOR_STORE_ID_PREFIX = 'vs_';
export const FILE_BATCH_ID_PREFIX = 'vsfb_';

/** OpenAI's `auto` chunking: 800-token chunks overlapping by 400 tokens. */
export const AUTO_CHUNKING = { max_chunk_size_tokens: 800, chunk_overlap_tokens: 400 } as const;

/** Files attached in one create call (`file_ids` of a vector store, `file_ids`/`files` of a batch). */
export const MAX_FILES_PER_CREATE = 500;

export const StaticChunkingSchema = z
  .object({
    max_chunk_size_tokens: z.number().int().min(100).max(4096),
    chunk_overlap_tokens: z.number().int().min(0),
  })
  .refine((s) => s.chunk_overlap_tokens <= s.max_chunk_size_tokens / 2, {
    message: 'chunk_overlap_tokens must not exceed half of max_chunk_size_tokens',
    path: ['chunk_overlap_tokens'],
  });
export type StaticChunking = z.infer<typeof StaticChunkingSchema>;

/** What a request may ask for. */
export const ChunkingStrategyParamSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('auto') }),
  z.object({ type: z.literal('static'), static: StaticChunkingSchema }),
]);
export type ChunkingStrategyParam = z.infer<typeof ChunkingStrategyParamSchema>;

/** What a vector store file reports (`auto` is reported as the static sizes it stands for). */
export interface ChunkingStrategyObject {
  type: 'static';
  static: StaticChunking;
}

/** Vector store file attributes: up to 16 pairs, keys ≤ 64 characters, string values ≤ 512 characters. */
export const AttributeValueSchema = z.union([z.string().max(512), z.number().finite(), z.boolean()]);
export type AttributeValue = z.infer<typeof AttributeValueSchema>;
export const AttributesSchema = z
  .record(z.string().min(1).max(64, 'attribute keys must be at most 64 characters'), AttributeValueSchema)
  .refine((a) => Object.keys(a).length <= 16, { message: 'attributes may have at most 16 key-value pairs' });
export type Attributes = z.infer<typeof AttributesSchema>;

export const VectorStoreExpiresAfterSchema = z.object({
  anchor: z.literal('last_active_at'),
  days: z.number().int().min(1).max(365),
});
export type VectorStoreExpiresAfter = z.infer<typeof VectorStoreExpiresAfterSchema>;

export interface FileCounts {
  in_progress: number;
  completed: number;
  failed: number;
  cancelled: number;
  total: number;
}

export interface VectorStoreObject {
  id: string;
  object: 'vector_store';
  created_at: number;
  name: string;
  /** Bytes of the stored chunks' text. */
  usage_bytes: number;
  file_counts: FileCounts;
  /** `in_progress` while any file is; `expired` after `expires_at`. */
  status: 'expired' | 'in_progress' | 'completed';
  expires_after: VectorStoreExpiresAfter | null;
  expires_at: number | null;
  last_active_at: number | null;
  metadata: Record<string, string> | null;
}

export interface VectorStoreDeleted {
  id: string;
  object: 'vector_store.deleted';
  deleted: boolean;
}

export const VectorStoreFileStatusSchema = z.enum(['in_progress', 'completed', 'cancelled', 'failed']);
export type VectorStoreFileStatus = z.infer<typeof VectorStoreFileStatusSchema>;

export type VectorStoreFileErrorCode = 'server_error' | 'unsupported_file' | 'invalid_file';

export interface VectorStoreFileObject {
  /** The file's id (`file-…`). */
  id: string;
  object: 'vector_store.file';
  usage_bytes: number;
  created_at: number;
  vector_store_id: string;
  status: VectorStoreFileStatus;
  last_error: { code: VectorStoreFileErrorCode; message: string } | null;
  chunking_strategy: ChunkingStrategyObject;
  attributes: Attributes | null;
  /**
   * Extension, on a retrieved file while it is `in_progress`: the ingest's stage, chunks embedded so far and the
   * share done (0..1); null when the job cannot be read (Redis unreachable).
   */
  progress?: (IngestProgress & { fraction: number }) | null;
}

export interface VectorStoreFileDeleted {
  id: string;
  object: 'vector_store.file.deleted';
  deleted: boolean;
}

export interface VectorStoreFileBatchObject {
  id: string;
  object: 'vector_store.files_batch';
  created_at: number;
  vector_store_id: string;
  status: VectorStoreFileStatus;
  file_counts: FileCounts;
}

/** `GET /v1/vector_stores/{id}/files/{file_id}/content`: the file's extracted text, one part per chunk. */
export interface VectorStoreFileContentPage {
  object: 'vector_store.file_content.page';
  data: { type: 'text'; text: string }[];
  has_more: false;
  next_page: null;
}

export const CreateVectorStoreBodySchema = z.object({
  name: z.string().max(256).optional(),
  description: z.string().max(512).optional(),
  file_ids: z.array(z.string().min(1)).max(MAX_FILES_PER_CREATE).optional(),
  chunking_strategy: ChunkingStrategyParamSchema.optional(),
  expires_after: VectorStoreExpiresAfterSchema.optional(),
  metadata: MetadataSchema.nullable().optional(),
});
export type CreateVectorStoreBody = z.infer<typeof CreateVectorStoreBodySchema>;

export const UpdateVectorStoreBodySchema = z.object({
  name: z.string().max(256).nullable().optional(),
  expires_after: VectorStoreExpiresAfterSchema.nullable().optional(),
  metadata: MetadataSchema.nullable().optional(),
});
export type UpdateVectorStoreBody = z.infer<typeof UpdateVectorStoreBodySchema>;

export const CreateVectorStoreFileBodySchema = z.object({
  file_id: z.string().min(1),
  attributes: AttributesSchema.nullable().optional(),
  chunking_strategy: ChunkingStrategyParamSchema.optional(),
});
export type CreateVectorStoreFileBody = z.infer<typeof CreateVectorStoreFileBodySchema>;

export const CreateFileBatchBodySchema = z
  .object({
    file_ids: z.array(z.string().min(1)).max(MAX_FILES_PER_CREATE).optional(),
    /** Per-file attributes and chunking (OpenAI's newer form); exclusive with `file_ids`. */
    files: z.array(CreateVectorStoreFileBodySchema).max(MAX_FILES_PER_CREATE).optional(),
    /** Applied to every file of `file_ids` (and to `files` entries without their own). */
    attributes: AttributesSchema.nullable().optional(),
    chunking_strategy: ChunkingStrategyParamSchema.optional(),
  })
  .refine((b) => (b.file_ids?.length ?? 0) + (b.files?.length ?? 0) > 0, {
    message: 'give file_ids or files',
    path: ['file_ids'],
  })
  .refine((b) => !(b.file_ids?.length && b.files?.length), {
    message: 'give either file_ids or files, not both',
    path: ['files'],
  });
export type CreateFileBatchBody = z.infer<typeof CreateFileBatchBodySchema>;

/** Cursor lists of vector stores, vector store files and batch files (OpenAI: limit 1..100, default 20, desc). */
export const VectorStoreListQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  after: z.string().min(1).optional(),
  before: z.string().min(1).optional(),
  order: z.enum(['asc', 'desc']).default('desc'),
});
export type VectorStoreListQuery = z.infer<typeof VectorStoreListQuerySchema>;

export const VectorStoreFileListQuerySchema = VectorStoreListQuerySchema.extend({
  filter: VectorStoreFileStatusSchema.optional(),
});
export type VectorStoreFileListQuery = z.infer<typeof VectorStoreFileListQuerySchema>;
