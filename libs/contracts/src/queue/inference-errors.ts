/** Error codes a worker reports for a job; the gateway maps them to HTTP statuses. */
export enum InferenceErrorCode {
  ContextLengthExceeded = 'context_length_exceeded',
  UnsupportedCharacters = 'unsupported_characters',
  UnsupportedCapability = 'unsupported_capability',
  ModelNotLoaded = 'model_not_loaded',
  WorkerFailed = 'worker_failed',
}
