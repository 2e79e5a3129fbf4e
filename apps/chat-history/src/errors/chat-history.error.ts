import { ChatHistoryErrorCode, ChatHistoryRpcError } from '@llmp/contracts';

/** A domain error of the chat-history service, sent to the caller as a `ChatHistoryRpcError`. */
export class ChatHistoryError extends Error {
  override readonly name = 'ChatHistoryError';

  constructor(
    readonly code: ChatHistoryErrorCode,
    message: string,
    readonly param: string | null = null,
  ) {
    super(message);
  }

  toPayload(): ChatHistoryRpcError {
    return { code: this.code, message: this.message, param: this.param };
  }

  /** The same answer for unknown, malformed, expired and other users' ids. */
  static notFound(what: string, param: string | null = 'id'): ChatHistoryError {
    return new ChatHistoryError(ChatHistoryErrorCode.NotFound, `No such ${what}.`, param);
  }

  static invalid(message: string, param: string | null): ChatHistoryError {
    return new ChatHistoryError(ChatHistoryErrorCode.InvalidRequest, message, param);
  }
}
