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

export const USAGE_QUEUE = 'usage';
