/** What the caller of an RPC receives for a domain error: the service's code, a message, the offending field. */
export interface RpcErrorPayload<C extends string = string> {
  code: C;
  message: string;
  param: string | null;
}

/**
 * A domain error of an RPC service, with a code from the service's string enum (`AuthError(AuthErrorCode.NotFound)`).
 * DomainRpcExceptionFilter sends it to the caller as `toPayload()`.
 */
export class RpcDomainError<C extends string> extends Error {
  constructor(
    readonly code: C,
    message: string,
    readonly param: string | null = null,
  ) {
    super(message);
  }

  toPayload(): RpcErrorPayload<C> {
    return { code: this.code, message: this.message, param: this.param };
  }
}
