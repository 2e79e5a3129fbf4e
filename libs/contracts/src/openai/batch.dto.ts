import { z } from 'zod';
import { MetadataSchema } from '../chat-history/conversations.schemas';

/** OpenAI's Batch API objects, field for field with the `openai` package's `Batch` (`resources/batches.ts`). */

export const BATCH_ID_PREFIX = 'batch_';
/** Endpoints a batch may target here (OpenAI also lists moderations, images and videos, which are not served). */
export const BatchEndpointSchema = z.enum([
  '/v1/chat/completions',
  '/v1/completions',
  '/v1/embeddings',
  '/v1/responses',
]);
export type BatchEndpoint = z.infer<typeof BatchEndpointSchema>;

export const CreateBatchRequestSchema = z
  .object({
    input_file_id: z.string().min(1),
    endpoint: BatchEndpointSchema,
    completion_window: z.literal('24h'),
    metadata: MetadataSchema.nullable().optional(),
    output_expires_after: z
      .object({ anchor: z.literal('created_at'), seconds: z.number().int().min(3600).max(2_592_000) })
      .optional(),
  })
  .strict();
export type CreateBatchRequest = z.infer<typeof CreateBatchRequestSchema>;

export const BatchListQuerySchema = z.object({
  after: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});
export type BatchListQuery = z.infer<typeof BatchListQuerySchema>;

export const BatchStatusSchema = z.enum([
  'validating',
  'failed',
  'in_progress',
  'finalizing',
  'completed',
  'expired',
  'cancelling',
  'cancelled',
]);
export type BatchStatus = z.infer<typeof BatchStatusSchema>;

/** One line of a batch input file. */
export const BatchInputLineSchema = z.object({
  custom_id: z.string().min(1).max(512),
  method: z.literal('POST'),
  url: z.string(),
  body: z.record(z.unknown()),
});
export type BatchInputLine = z.infer<typeof BatchInputLineSchema>;

export interface BatchError {
  code: string;
  message: string;
  param: string | null;
  line: number | null;
}

export interface BatchObject {
  id: string;
  object: 'batch';
  endpoint: BatchEndpoint;
  errors: { object: 'list'; data: BatchError[] } | null;
  input_file_id: string;
  completion_window: '24h';
  status: BatchStatus;
  output_file_id: string | null;
  error_file_id: string | null;
  created_at: number;
  in_progress_at: number | null;
  expires_at: number;
  finalizing_at: number | null;
  completed_at: number | null;
  failed_at: number | null;
  expired_at: number | null;
  cancelling_at: number | null;
  cancelled_at: number | null;
  request_counts: { total: number; completed: number; failed: number };
  /** The model of the batch's lines (the first line's, as OpenAI reports it); null until validated. */
  model: string | null;
  usage: {
    input_tokens: number;
    input_tokens_details: { cached_tokens: number };
    output_tokens: number;
    output_tokens_details: { reasoning_tokens: number };
    total_tokens: number;
  };
  metadata: Record<string, string> | null;
}

/** One line of a batch output or error file (OpenAI's format). */
export interface BatchOutputLine {
  id: string;
  custom_id: string;
  response: { status_code: number; request_id: string; body: unknown } | null;
  error: { code: string; message: string } | null;
}
