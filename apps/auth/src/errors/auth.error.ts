import { AuthErrorCode, AuthRpcError } from '@llmp/contracts';
import { RpcDomainError } from '@llmp/platform';

/** A domain error of the auth service. The RPC exception filter sends it to the caller as an `AuthRpcError`. */
export class AuthError extends RpcDomainError<AuthErrorCode> {
  override readonly name = 'AuthError';

  constructor(
    code: AuthErrorCode,
    message: string,
    param: string | null = null,
    /** Seconds until a retry can succeed (too_many_attempts). */
    readonly retryAfter?: number,
  ) {
    super(code, message, param);
  }

  override toPayload(): AuthRpcError {
    return { ...super.toPayload(), ...(this.retryAfter !== undefined ? { retryAfter: this.retryAfter } : {}) };
  }

  static notFound(what: string, param: string | null = 'id'): AuthError {
    return new AuthError(AuthErrorCode.NotFound, `No such ${what}.`, param);
  }
}
