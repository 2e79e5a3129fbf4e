import { Controller, UseFilters } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { CHAT_HISTORY_RPC, ChatHistoryRpcResponses } from '@llmp/contracts';
import { ChatHistoryRpcExceptionFilter } from '../errors/chat-history-rpc-exception.filter';
import { parseRequest } from '../errors/rpc-request';
import { ResponsesService } from './responses.service';

type R = ChatHistoryRpcResponses;

@Controller()
@UseFilters(ChatHistoryRpcExceptionFilter)
export class ResponsesController {
  constructor(private readonly responses: ResponsesService) {}

  @MessagePattern(CHAT_HISTORY_RPC.storeResponse.pattern)
  store(@Payload() data: unknown): Promise<R['storeResponse']> {
    return this.responses.store(parseRequest(CHAT_HISTORY_RPC.storeResponse.request, data));
  }

  @MessagePattern(CHAT_HISTORY_RPC.getResponse.pattern)
  get(@Payload() data: unknown): Promise<R['getResponse']> {
    const { userId, id } = parseRequest(CHAT_HISTORY_RPC.getResponse.request, data);
    return this.responses.get(userId, id);
  }

  @MessagePattern(CHAT_HISTORY_RPC.deleteResponse.pattern)
  delete(@Payload() data: unknown): Promise<R['deleteResponse']> {
    const { userId, id } = parseRequest(CHAT_HISTORY_RPC.deleteResponse.request, data);
    return this.responses.delete(userId, id);
  }

  @MessagePattern(CHAT_HISTORY_RPC.listResponseInputItems.pattern)
  listInputItems(@Payload() data: unknown): Promise<R['listResponseInputItems']> {
    const { userId, id, ...query } = parseRequest(CHAT_HISTORY_RPC.listResponseInputItems.request, data);
    return this.responses.listInputItems(userId, id, query);
  }
}
