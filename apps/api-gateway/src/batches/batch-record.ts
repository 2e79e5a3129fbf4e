import { z } from 'zod';
import { BatchEndpointSchema, BatchStatusSchema, PrincipalSchema } from '@llmp/contracts';

/**
 * A batch as stored: one Redis hash per batch, each field its own value so the API (cancel) and the runner
 * (progress) never overwrite each other's writes. Timestamps are Unix seconds, 0 for "not yet".
 */
export const BatchRecordSchema = z.object({
  id: z.string(),
  userId: z.string(),
  /**
   * The credential's view when the batch was created (user, key id, allowed models, scopes, budget), never the
   * secret: every line runs with exactly these permissions, as the key would interactively.
   */
  principal: z.string().transform((s) => PrincipalSchema.parse(JSON.parse(s))),
  endpoint: BatchEndpointSchema,
  input_file_id: z.string(),
  status: BatchStatusSchema,
  metadata: z.string().transform((s) => JSON.parse(s) as Record<string, string> | null),
  output_expires_s: z.coerce.number().int().default(0),
  errors: z
    .string()
    .default('')
    .transform((s) => (s ? (JSON.parse(s) as unknown[]) : null)),
  model: z.string().default(''),
  output_file_id: z.string().default(''),
  error_file_id: z.string().default(''),
  total: z.coerce.number().int().default(0),
  completed: z.coerce.number().int().default(0),
  failed: z.coerce.number().int().default(0),
  input_tokens: z.coerce.number().int().default(0),
  output_tokens: z.coerce.number().int().default(0),
  /** How many times a runner has taken the batch (a run after a crash is the next one). */
  runs: z.coerce.number().int().default(0),
  created_at: z.coerce.number().int(),
  expires_at: z.coerce.number().int(),
  in_progress_at: z.coerce.number().int().default(0),
  finalizing_at: z.coerce.number().int().default(0),
  completed_at: z.coerce.number().int().default(0),
  failed_at: z.coerce.number().int().default(0),
  expired_at: z.coerce.number().int().default(0),
  cancelling_at: z.coerce.number().int().default(0),
  cancelled_at: z.coerce.number().int().default(0),
});
export type BatchRecord = z.output<typeof BatchRecordSchema>;

export type BatchTimestamp =
  'in_progress_at' | 'finalizing_at' | 'completed_at' | 'failed_at' | 'expired_at' | 'cancelling_at' | 'cancelled_at';

/** The statuses a batch never leaves. */
export const TERMINAL_STATUSES = new Set(['completed', 'failed', 'expired', 'cancelled']);
