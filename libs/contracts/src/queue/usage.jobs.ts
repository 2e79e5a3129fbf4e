import { z } from 'zod';

/** One completed request's token usage, recorded asynchronously by the auth app. */
export const UsageRecordV1PayloadSchema = z.object({
  /** Also the job id: a retried job records once. */
  requestId: z.string().min(1),
  userId: z.string().uuid(),
  apiKeyId: z.string().uuid().nullable(),
  model: z.string().min(1),
  endpoint: z.enum(['chat.completions', 'completions', 'embeddings', 'responses', 'messages']),
  promptTokens: z.number().int().nonnegative(),
  completionTokens: z.number().int().nonnegative(),
  /** The request's cost by the model's price table (absent: 0, an unpriced model). */
  cost: z.number().nonnegative().optional(),
  /** Unix milliseconds when the request finished. */
  at: z.number().int(),
});
export type UsageRecordV1Payload = z.infer<typeof UsageRecordV1PayloadSchema>;

export const UsageRecordV1ResultSchema = z.object({ recorded: z.boolean() });

/** Most records one `usage.record-batch.v1` job may carry. */
export const USAGE_BATCH_MAX_RECORDS = 1000;

/**
 * Many completed requests' usage in one job: a gateway coalesces the records of a few milliseconds, and the auth
 * app inserts them in one statement. Each record is still recorded once per `requestId`, so a retried job, or a
 * record that also arrived in another job, counts once. `usage.record.v1` stays accepted beside it.
 */
export const UsageRecordBatchV1PayloadSchema = z.object({
  records: z.array(UsageRecordV1PayloadSchema).min(1).max(USAGE_BATCH_MAX_RECORDS),
});
export type UsageRecordBatchV1Payload = z.infer<typeof UsageRecordBatchV1PayloadSchema>;

/** `recorded`: records newly inserted; the rest of the batch had been recorded before. */
export const UsageRecordBatchV1ResultSchema = z.object({ recorded: z.number().int().nonnegative() });

export const USAGE_QUEUE = 'usage';
