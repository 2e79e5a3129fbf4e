import { z } from 'zod';

/** The gateway's own queue: Batch API runs (one job per batch, processed by a worker inside the gateway). */
export const BATCH_QUEUE = 'batch';

/**
 * Runs one batch of the Batch API: validates its input file, runs every line not done yet (each as a job on the
 * model's queue at a lower priority than interactive requests), writes the output and error files, and ends the
 * batch `completed`, `failed`, `expired` or `cancelled`. Idempotent and resumable: progress is persisted per line,
 * so a run taken over after a crash skips the lines already done. Carries the batch id only (the batch record
 * holds the rest; no credential). Job id `batch-run-<batchId>`.
 */
export const BatchRunV1PayloadSchema = z.object({ batchId: z.string().regex(/^batch_[A-Za-z0-9]+$/) });
export type BatchRunV1Payload = z.infer<typeof BatchRunV1PayloadSchema>;

export const BatchRunV1ResultSchema = z.object({
  status: z.enum(['completed', 'failed', 'expired', 'cancelled', 'skipped']),
  completed: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
});
export type BatchRunV1Result = z.infer<typeof BatchRunV1ResultSchema>;

export function batchRunJobId(batchId: string): string {
  return `batch-run-${batchId}`;
}
