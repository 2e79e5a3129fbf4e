import type { BatchError, BatchObject } from '@llmp/contracts';
import type { BatchRecord } from './batch-record';

const orNull = (n: number): number | null => (n > 0 ? n : null);

/** The stored batch as OpenAI's Batch object, field for field (unset timestamps and files are null). */
export function batchView(r: BatchRecord): BatchObject {
  return {
    id: r.id,
    object: 'batch',
    endpoint: r.endpoint,
    errors: r.errors ? { object: 'list', data: r.errors as BatchError[] } : null,
    input_file_id: r.input_file_id,
    completion_window: '24h',
    status: r.status,
    output_file_id: r.output_file_id || null,
    error_file_id: r.error_file_id || null,
    created_at: r.created_at,
    in_progress_at: orNull(r.in_progress_at),
    expires_at: r.expires_at,
    finalizing_at: orNull(r.finalizing_at),
    completed_at: orNull(r.completed_at),
    failed_at: orNull(r.failed_at),
    expired_at: orNull(r.expired_at),
    cancelling_at: orNull(r.cancelling_at),
    cancelled_at: orNull(r.cancelled_at),
    request_counts: { total: r.total, completed: r.completed, failed: r.failed },
    model: r.model || null,
    usage: {
      input_tokens: r.input_tokens,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: r.output_tokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: r.input_tokens + r.output_tokens,
    },
    metadata: r.metadata,
  };
}
