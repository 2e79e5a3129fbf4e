import { Controller, UseFilters } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { RAG_RPC, RagRpcResponses } from '@llmp/contracts';
import { RagRpcExceptionFilter } from '../errors/rag-rpc-exception.filter';
import { parseRequest } from '../errors/rpc-request';
import { UserDataService } from './user-data.service';

@Controller()
@UseFilters(RagRpcExceptionFilter)
export class UserDataController {
  constructor(private readonly data: UserDataService) {}

  @MessagePattern(RAG_RPC.purgeUser.pattern)
  purge(@Payload() data: unknown): Promise<RagRpcResponses['purgeUser']> {
    return this.data.purge(parseRequest(RAG_RPC.purgeUser.request, data).userId);
  }
}
