import { z } from 'zod';

/**
 * OpenAI's Files API objects as the rag service stores and answers them (field for field with the `openai` package's
 * `FileObject`). Field names are the public snake_case ones.
 */

export const FILE_ID_PREFIX = 'file-';

/**
 * The largest upload the contract carries (OpenAI's own limit, 512 MB). The rag service enforces RAG_FILE_MAX_BYTES
 * (≤ this; default 32 MiB) and answers `payload_too_large` beyond it.
 */
export const RAG_FILE_HARD_MAX_BYTES = 512 * 1024 * 1024;

export const FilePurposeSchema = z.enum([
  'assistants',
  'assistants_output',
  'batch',
  'batch_output',
  'fine-tune',
  'fine-tune-results',
  'vision',
  'user_data',
  'evals',
]);
export type FilePurpose = z.infer<typeof FilePurposeSchema>;

/** `expires_after` of an upload: seconds after creation, between one hour and 30 days (OpenAI's bounds). */
export const FileExpiresAfterSchema = z.object({
  anchor: z.literal('created_at'),
  seconds: z.coerce.number().int().min(3600).max(2_592_000),
});
export type FileExpiresAfter = z.infer<typeof FileExpiresAfterSchema>;

export const FileObjectSchema = z.object({
  id: z.string(),
  object: z.literal('file'),
  bytes: z.number().int().nonnegative(),
  created_at: z.number().int(),
  filename: z.string(),
  purpose: FilePurposeSchema,
  /** Stored files are `processed` at once (the bytes are in the database when the upload answers). */
  status: z.enum(['uploaded', 'processed', 'error']),
  expires_at: z.number().int().nullable(),
  status_details: z.string().nullable().optional(),
});
export type FileObject = z.infer<typeof FileObjectSchema>;

export interface FileDeleted {
  id: string;
  object: 'file';
  deleted: boolean;
}

/** A stored file's bytes (RPC only; the gateway streams them as `GET /v1/files/{id}/content`). */
export interface FileContent {
  id: string;
  filename: string;
  /** The media type given at upload (or guessed from the name), `application/octet-stream` if none. */
  mimeType: string;
  /** The bytes, base64. */
  base64: string;
}

export const FileListQuerySchema = z.object({
  /** OpenAI allows 1..10,000 (default 10,000). */
  limit: z.coerce.number().int().min(1).max(10_000).default(10_000),
  after: z.string().min(1).optional(),
  order: z.enum(['asc', 'desc']).default('desc'),
  purpose: z.string().min(1).max(64).optional(),
});
export type FileListQuery = z.infer<typeof FileListQuerySchema>;
