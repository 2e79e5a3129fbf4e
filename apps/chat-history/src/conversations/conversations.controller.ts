import { Controller, UseFilters } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { CHAT_HISTORY_RPC, ChatHistoryRpcResponses } from '@llmp/contracts';
import { ChatHistoryRpcExceptionFilter } from '../errors/chat-history-rpc-exception.filter';
import { parseRequest } from '../errors/rpc-request';
import { ConversationsService } from './conversations.service';

type R = ChatHistoryRpcResponses;

@Controller()
@UseFilters(ChatHistoryRpcExceptionFilter)
export class ConversationsController {
  constructor(private readonly conversations: ConversationsService) {}

  @MessagePattern(CHAT_HISTORY_RPC.createConversation.pattern)
  create(@Payload() data: unknown): Promise<R['createConversation']> {
    const { userId, ...req } = parseRequest(CHAT_HISTORY_RPC.createConversation.request, data);
    return this.conversations.create(userId, req);
  }

  @MessagePattern(CHAT_HISTORY_RPC.getConversation.pattern)
  get(@Payload() data: unknown): Promise<R['getConversation']> {
    const { userId, id } = parseRequest(CHAT_HISTORY_RPC.getConversation.request, data);
    return this.conversations.get(userId, id);
  }

  @MessagePattern(CHAT_HISTORY_RPC.updateConversation.pattern)
  update(@Payload() data: unknown): Promise<R['updateConversation']> {
    const { userId, id, ...req } = parseRequest(CHAT_HISTORY_RPC.updateConversation.request, data);
    return this.conversations.update(userId, id, req);
  }

  @MessagePattern(CHAT_HISTORY_RPC.deleteConversation.pattern)
  delete(@Payload() data: unknown): Promise<R['deleteConversation']> {
    const { userId, id } = parseRequest(CHAT_HISTORY_RPC.deleteConversation.request, data);
    return this.conversations.delete(userId, id);
  }

  @MessagePattern(CHAT_HISTORY_RPC.listConversations.pattern)
  list(@Payload() data: unknown): Promise<R['listConversations']> {
    const { userId, ...query } = parseRequest(CHAT_HISTORY_RPC.listConversations.request, data);
    return this.conversations.list(userId, query);
  }

  @MessagePattern(CHAT_HISTORY_RPC.exportConversation.pattern)
  export(@Payload() data: unknown): Promise<R['exportConversation']> {
    const { userId, id, format } = parseRequest(CHAT_HISTORY_RPC.exportConversation.request, data);
    return this.conversations.export(userId, id, format);
  }
}
