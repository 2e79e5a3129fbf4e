/** Codes of errors the API reports to clients; each maps to one HTTP status and OpenAI error type. */
export enum ApiErrorCode {
  InvalidRequest = 'invalid_request',
  InvalidJson = 'invalid_json',
  UnsupportedParameter = 'unsupported_parameter',
  UnknownParameter = 'unknown_parameter',
  ModelNotFound = 'model_not_found',
  NotFound = 'not_found',
  /** OpenAI's code for a `previous_response_id` that names no stored response (a 400, not a 404). */
  PreviousResponseNotFound = 'previous_response_not_found',
  PayloadTooLarge = 'payload_too_large',
  UriTooLong = 'uri_too_long',
  HeadersTooLarge = 'request_header_fields_too_large',
  RequestTimeout = 'request_timeout',
  UnsupportedMediaType = 'unsupported_media_type',
  ContextLengthExceeded = 'context_length_exceeded',
  UnsupportedCharacters = 'unsupported_characters',
  UnsupportedCapability = 'unsupported_capability',
  MethodNotAllowed = 'method_not_allowed',
  InvalidApiKey = 'invalid_api_key',
  InvalidToken = 'invalid_token',
  InvalidCredentials = 'invalid_credentials',
  PermissionDenied = 'permission_denied',
  UsernameTaken = 'username_taken',
  Conflict = 'conflict',
  WeakPassword = 'weak_password',
  RateLimitExceeded = 'rate_limit_exceeded',
  /** The user's monthly spend reached their budget (429, type insufficient_quota as OpenAI's quota errors). */
  BudgetExceeded = 'budget_exceeded',
  TooManyAttempts = 'too_many_attempts',
  Timeout = 'timeout',
  ServiceUnavailable = 'service_unavailable',
  ServerOverloaded = 'server_overloaded',
  WorkerFailed = 'worker_failed',
  /** The client closed the request before the answer (never seen by the client; for logs and metrics). */
  RequestCancelled = 'request_cancelled',
  Internal = 'internal_error',
}

export const API_ERROR_TABLE: Record<ApiErrorCode, { status: number; type: string }> = {
  [ApiErrorCode.InvalidRequest]: { status: 400, type: 'invalid_request_error' },
  [ApiErrorCode.PreviousResponseNotFound]: { status: 400, type: 'invalid_request_error' },
  [ApiErrorCode.InvalidJson]: { status: 400, type: 'invalid_request_error' },
  [ApiErrorCode.UnsupportedParameter]: { status: 400, type: 'invalid_request_error' },
  [ApiErrorCode.UnknownParameter]: { status: 400, type: 'invalid_request_error' },
  [ApiErrorCode.ContextLengthExceeded]: { status: 400, type: 'invalid_request_error' },
  [ApiErrorCode.UnsupportedCharacters]: { status: 400, type: 'invalid_request_error' },
  [ApiErrorCode.UnsupportedCapability]: { status: 400, type: 'invalid_request_error' },
  [ApiErrorCode.ModelNotFound]: { status: 404, type: 'invalid_request_error' },
  [ApiErrorCode.NotFound]: { status: 404, type: 'invalid_request_error' },
  [ApiErrorCode.MethodNotAllowed]: { status: 405, type: 'invalid_request_error' },
  [ApiErrorCode.InvalidApiKey]: { status: 401, type: 'invalid_request_error' },
  [ApiErrorCode.InvalidToken]: { status: 401, type: 'invalid_request_error' },
  [ApiErrorCode.InvalidCredentials]: { status: 401, type: 'invalid_request_error' },
  [ApiErrorCode.PermissionDenied]: { status: 403, type: 'invalid_request_error' },
  [ApiErrorCode.UsernameTaken]: { status: 409, type: 'invalid_request_error' },
  [ApiErrorCode.Conflict]: { status: 409, type: 'invalid_request_error' },
  [ApiErrorCode.WeakPassword]: { status: 400, type: 'invalid_request_error' },
  [ApiErrorCode.RateLimitExceeded]: { status: 429, type: 'requests' },
  [ApiErrorCode.BudgetExceeded]: { status: 429, type: 'insufficient_quota' },
  [ApiErrorCode.TooManyAttempts]: { status: 429, type: 'requests' },
  [ApiErrorCode.PayloadTooLarge]: { status: 413, type: 'invalid_request_error' },
  [ApiErrorCode.UnsupportedMediaType]: { status: 415, type: 'invalid_request_error' },
  [ApiErrorCode.UriTooLong]: { status: 414, type: 'invalid_request_error' },
  [ApiErrorCode.HeadersTooLarge]: { status: 431, type: 'invalid_request_error' },
  [ApiErrorCode.RequestTimeout]: { status: 408, type: 'invalid_request_error' },
  [ApiErrorCode.Timeout]: { status: 504, type: 'server_error' },
  [ApiErrorCode.ServiceUnavailable]: { status: 503, type: 'server_error' },
  [ApiErrorCode.ServerOverloaded]: { status: 429, type: 'server_error' },
  [ApiErrorCode.WorkerFailed]: { status: 502, type: 'server_error' },
  // nginx's "client closed request": not a server failure.
  [ApiErrorCode.RequestCancelled]: { status: 499, type: 'invalid_request_error' },
  [ApiErrorCode.Internal]: { status: 500, type: 'server_error' },
};

/** A client-facing error. Services throw it; the exception filter renders it in OpenAI's shape. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly param: string | null = null,
    /** Extra response headers (e.g. Retry-After) and an OpenAI error type other than the code's default. */
    readonly extra: { headers?: Record<string, string>; type?: string } = {},
  ) {
    super(message);
  }

  get status(): number {
    return API_ERROR_TABLE[this.code].status;
  }
}
