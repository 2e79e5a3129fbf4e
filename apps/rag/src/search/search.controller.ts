import { Controller, UseFilters } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { RAG_RPC, RagRpcResponses } from '@llmp/contracts';
import { RagRpcExceptionFilter } from '../errors/rag-rpc-exception.filter';
import { parseRequest } from '../errors/rpc-request';
import { SearchService } from './search.service';

@Controller()
@UseFilters(RagRpcExceptionFilter)
export class SearchController {
  constructor(private readonly searcher: SearchService) {}

  @MessagePattern(RAG_RPC.search.pattern)
  search(@Payload() data: unknown): Promise<RagRpcResponses['search']> {
    return this.searcher.search(parseRequest(RAG_RPC.search.request, data));
  }
}
