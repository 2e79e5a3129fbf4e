import { AuthErrorCode, AuthRpcError } from '@llmp/contracts';

/** A domain error of the auth service. The RPC exception filter sends it to the caller as an `AuthRpcError`. */
export class AuthError extends Error {
  override readonly name = 'AuthError';

  constructor(
    readonly code: AuthErrorCode,
    message: string,
    readonly param: string | null = null,
    /** Seconds until a retry can succeed (too_many_attempts). */
    readonly retryAfter?: number,
  ) {
    super(message);
  }

  toPayload(): AuthRpcError {
    return {
      code: this.code,
      message: this.message,
      param: this.param,
      ...(this.retryAfter !== undefined ? { retryAfter: this.retryAfter } : {}),
    };
  }

  static notFound(what: string, param: string | null = 'id'): AuthError {
    return new AuthError(AuthErrorCode.NotFound, `No such ${what}.`, param);
  }
}
