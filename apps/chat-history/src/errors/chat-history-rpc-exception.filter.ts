import { Catch } from '@nestjs/common';
import { ChatHistoryRpcErrorSchema } from '@llmp/contracts';
import { DomainRpcExceptionFilter } from '@llmp/platform';
import { ChatHistoryError } from './chat-history.error';
import { chatHistoryErrorFromZod } from './rpc-request';

/** Sends the chat-history service's RPC failures to the caller as `ChatHistoryRpcError`s (`{code, message, param}`). */
@Catch()
export class ChatHistoryRpcExceptionFilter extends DomainRpcExceptionFilter {
  constructor() {
    super({
      service: 'chat-history',
      errorClass: ChatHistoryError,
      fromZod: chatHistoryErrorFromZod,
      payloadSchema: ChatHistoryRpcErrorSchema,
    });
  }
}
