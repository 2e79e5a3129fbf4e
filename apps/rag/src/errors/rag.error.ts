import { RagErrorCode } from '@llmp/contracts';
import { RpcDomainError } from '@llmp/platform';

/** A domain error of the rag service, sent to the caller as a `RagRpcError`. */
export class RagError extends RpcDomainError<RagErrorCode> {
  override readonly name = 'RagError';

  /** The same answer for unknown, malformed and other users' ids. */
  static notFound(what: string, param: string | null = 'id'): RagError {
    return new RagError(RagErrorCode.NotFound, `No such ${what}.`, param);
  }

  static invalid(message: string, param: string | null): RagError {
    return new RagError(RagErrorCode.InvalidRequest, message, param);
  }
}
