/** Codes of failures the client reports itself (the worker's own codes are `InferenceErrorCode`s). */
export const JobClientErrorCode = {
  /** `cancel()` was called (or its AbortSignal fired) before the job ended. */
  Cancelled: 'cancelled',
  /** No terminal event within the timeout. */
  Timeout: 'timeout',
  /** BullMQ failed the job for good without a worker event (the worker died on its last attempt). */
  Failed: 'worker_failed',
  /** The client was closed while the job was in flight. */
  Closed: 'client_closed',
} as const;

/** A job that ended without a result: the worker's error event (code, message, param) or one of the above. */
export class JobFailedError extends Error {
  override readonly name = 'JobFailedError';
  constructor(
    readonly jobId: string,
    readonly code: string,
    message: string,
    readonly param: string | null = null,
  ) {
    super(message);
  }
}
