import { Controller, UseFilters } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { CHAT_HISTORY_RPC, ChatHistoryRpcResponses } from '@llmp/contracts';
import { ChatHistoryRpcExceptionFilter } from '../errors/chat-history-rpc-exception.filter';
import { parseRequest } from '../errors/rpc-request';
import { ContextService } from './context.service';

@Controller()
@UseFilters(ChatHistoryRpcExceptionFilter)
export class ContextController {
  constructor(private readonly context: ContextService) {}

  @MessagePattern(CHAT_HISTORY_RPC.loadContext.pattern)
  load(@Payload() data: unknown): Promise<ChatHistoryRpcResponses['loadContext']> {
    return this.context.load(parseRequest(CHAT_HISTORY_RPC.loadContext.request, data));
  }
}
