import { ChatHistoryErrorCode } from '@llmp/contracts';
import { RpcDomainError } from '@llmp/platform';

/** A domain error of the chat-history service, sent to the caller as a `ChatHistoryRpcError`. */
export class ChatHistoryError extends RpcDomainError<ChatHistoryErrorCode> {
  override readonly name = 'ChatHistoryError';

  /** The same answer for unknown, malformed, expired and other users' ids. */
  static notFound(what: string, param: string | null = 'id'): ChatHistoryError {
    return new ChatHistoryError(ChatHistoryErrorCode.NotFound, `No such ${what}.`, param);
  }

  static invalid(message: string, param: string | null): ChatHistoryError {
    return new ChatHistoryError(ChatHistoryErrorCode.InvalidRequest, message, param);
  }
}
