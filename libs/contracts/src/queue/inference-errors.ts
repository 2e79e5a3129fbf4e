/** Error codes a worker reports for a job; the gateway maps them to HTTP statuses. */
export enum InferenceErrorCode {
  ContextLengthExceeded = 'context_length_exceeded',
  UnsupportedCharacters = 'unsupported_characters',
  UnsupportedCapability = 'unsupported_capability',
  ModelNotLoaded = 'model_not_loaded',
  WorkerFailed = 'worker_failed',
  /** An embedding input has more tokens than the model's `max_tokens` (the message names the index and the limit). */
  InputTooLong = 'input_too_long',
  /** An embedding job the model cannot serve as asked: a token id outside the vocabulary, `dimensions` not allowed. */
  InvalidInput = 'invalid_input',
  /** A generation parameter the model cannot honour as given (`param` names it), e.g. a `logit_bias` token id. */
  InvalidRequest = 'invalid_request',
}
