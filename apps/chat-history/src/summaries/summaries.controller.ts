import { Controller, UseFilters } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { CHAT_HISTORY_RPC, ChatHistoryRpcResponses } from '@llmp/contracts';
import { ChatHistoryRpcExceptionFilter } from '../errors/chat-history-rpc-exception.filter';
import { parseRequest } from '../errors/rpc-request';
import { SummariesService } from './summaries.service';

@Controller()
@UseFilters(ChatHistoryRpcExceptionFilter)
export class SummariesController {
  constructor(private readonly summaries: SummariesService) {}

  @MessagePattern(CHAT_HISTORY_RPC.storeSummary.pattern)
  store(@Payload() data: unknown): Promise<ChatHistoryRpcResponses['storeSummary']> {
    return this.summaries.store(parseRequest(CHAT_HISTORY_RPC.storeSummary.request, data));
  }
}
