import { Controller, UseFilters } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { CHAT_HISTORY_RPC, ChatHistoryRpcResponses } from '@llmp/contracts';
import { ChatHistoryRpcExceptionFilter } from '../errors/chat-history-rpc-exception.filter';
import { parseRequest } from '../errors/rpc-request';
import { ItemsService } from './items.service';

type R = ChatHistoryRpcResponses;

@Controller()
@UseFilters(ChatHistoryRpcExceptionFilter)
export class ItemsController {
  constructor(private readonly items: ItemsService) {}

  @MessagePattern(CHAT_HISTORY_RPC.createItems.pattern)
  create(@Payload() data: unknown): Promise<R['createItems']> {
    const req = parseRequest(CHAT_HISTORY_RPC.createItems.request, data);
    return this.items.create(req.userId, req.conversationId, req.items, {
      idempotencyKey: req.idempotencyKey,
      responseId: req.responseId,
    });
  }

  @MessagePattern(CHAT_HISTORY_RPC.listItems.pattern)
  list(@Payload() data: unknown): Promise<R['listItems']> {
    const { userId, conversationId, ...query } = parseRequest(CHAT_HISTORY_RPC.listItems.request, data);
    return this.items.list(userId, conversationId, query);
  }

  @MessagePattern(CHAT_HISTORY_RPC.getItem.pattern)
  get(@Payload() data: unknown): Promise<R['getItem']> {
    const req = parseRequest(CHAT_HISTORY_RPC.getItem.request, data);
    return this.items.get(req.userId, req.conversationId, req.itemId);
  }

  @MessagePattern(CHAT_HISTORY_RPC.deleteItem.pattern)
  delete(@Payload() data: unknown): Promise<R['deleteItem']> {
    const req = parseRequest(CHAT_HISTORY_RPC.deleteItem.request, data);
    return this.items.delete(req.userId, req.conversationId, req.itemId);
  }
}
