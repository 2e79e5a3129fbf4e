import { Controller, UseFilters } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { CHAT_HISTORY_RPC, ChatHistoryRpcResponses } from '@llmp/contracts';
import { ChatHistoryRpcExceptionFilter } from '../errors/chat-history-rpc-exception.filter';
import { parseRequest } from '../errors/rpc-request';
import { UserHistoryService } from './user-history.service';

@Controller()
@UseFilters(ChatHistoryRpcExceptionFilter)
export class UserHistoryController {
  constructor(private readonly history: UserHistoryService) {}

  @MessagePattern(CHAT_HISTORY_RPC.purgeUser.pattern)
  purge(@Payload() data: unknown): Promise<ChatHistoryRpcResponses['purgeUser']> {
    return this.history.purge(parseRequest(CHAT_HISTORY_RPC.purgeUser.request, data).userId);
  }
}
