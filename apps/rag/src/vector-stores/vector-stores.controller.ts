import { Controller, UseFilters } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { RAG_RPC, RagRpcResponses } from '@llmp/contracts';
import { RagRpcExceptionFilter } from '../errors/rag-rpc-exception.filter';
import { parseRequest } from '../errors/rpc-request';
import { VectorStoresService } from './vector-stores.service';

type R = RagRpcResponses;

@Controller()
@UseFilters(RagRpcExceptionFilter)
export class VectorStoresController {
  constructor(private readonly stores: VectorStoresService) {}

  @MessagePattern(RAG_RPC.createVectorStore.pattern)
  create(@Payload() data: unknown): Promise<R['createVectorStore']> {
    return this.stores.create(parseRequest(RAG_RPC.createVectorStore.request, data));
  }

  @MessagePattern(RAG_RPC.listVectorStores.pattern)
  list(@Payload() data: unknown): Promise<R['listVectorStores']> {
    const { userId, ...query } = parseRequest(RAG_RPC.listVectorStores.request, data);
    return this.stores.list(userId, query);
  }

  @MessagePattern(RAG_RPC.getVectorStore.pattern)
  get(@Payload() data: unknown): Promise<R['getVectorStore']> {
    const { userId, id } = parseRequest(RAG_RPC.getVectorStore.request, data);
    return this.stores.get(userId, id);
  }

  @MessagePattern(RAG_RPC.updateVectorStore.pattern)
  update(@Payload() data: unknown): Promise<R['updateVectorStore']> {
    return this.stores.update(parseRequest(RAG_RPC.updateVectorStore.request, data));
  }

  @MessagePattern(RAG_RPC.deleteVectorStore.pattern)
  delete(@Payload() data: unknown): Promise<R['deleteVectorStore']> {
    const { userId, id } = parseRequest(RAG_RPC.deleteVectorStore.request, data);
    return this.stores.delete(userId, id);
  }
}
