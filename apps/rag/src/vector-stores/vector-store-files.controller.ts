import { Controller, UseFilters } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { RAG_RPC, RagRpcResponses } from '@llmp/contracts';
import { RagRpcExceptionFilter } from '../errors/rag-rpc-exception.filter';
import { parseRequest } from '../errors/rpc-request';
import { VectorStoreFilesService } from './vector-store-files.service';

type R = RagRpcResponses;

@Controller()
@UseFilters(RagRpcExceptionFilter)
export class VectorStoreFilesController {
  constructor(private readonly files: VectorStoreFilesService) {}

  @MessagePattern(RAG_RPC.createVectorStoreFile.pattern)
  create(@Payload() data: unknown): Promise<R['createVectorStoreFile']> {
    return this.files.create(parseRequest(RAG_RPC.createVectorStoreFile.request, data));
  }

  @MessagePattern(RAG_RPC.listVectorStoreFiles.pattern)
  list(@Payload() data: unknown): Promise<R['listVectorStoreFiles']> {
    const { userId, vectorStoreId, ...query } = parseRequest(RAG_RPC.listVectorStoreFiles.request, data);
    return this.files.list(userId, vectorStoreId, query);
  }

  @MessagePattern(RAG_RPC.getVectorStoreFile.pattern)
  get(@Payload() data: unknown): Promise<R['getVectorStoreFile']> {
    const { userId, vectorStoreId, fileId } = parseRequest(RAG_RPC.getVectorStoreFile.request, data);
    return this.files.get(userId, vectorStoreId, fileId);
  }

  @MessagePattern(RAG_RPC.updateVectorStoreFile.pattern)
  update(@Payload() data: unknown): Promise<R['updateVectorStoreFile']> {
    return this.files.updateAttributes(parseRequest(RAG_RPC.updateVectorStoreFile.request, data));
  }

  @MessagePattern(RAG_RPC.deleteVectorStoreFile.pattern)
  delete(@Payload() data: unknown): Promise<R['deleteVectorStoreFile']> {
    const { userId, vectorStoreId, fileId } = parseRequest(RAG_RPC.deleteVectorStoreFile.request, data);
    return this.files.delete(userId, vectorStoreId, fileId);
  }

  @MessagePattern(RAG_RPC.getVectorStoreFileContent.pattern)
  content(@Payload() data: unknown): Promise<R['getVectorStoreFileContent']> {
    const { userId, vectorStoreId, fileId } = parseRequest(RAG_RPC.getVectorStoreFileContent.request, data);
    return this.files.content(userId, vectorStoreId, fileId);
  }

  @MessagePattern(RAG_RPC.createFileBatch.pattern)
  createBatch(@Payload() data: unknown): Promise<R['createFileBatch']> {
    return this.files.createBatch(parseRequest(RAG_RPC.createFileBatch.request, data));
  }

  @MessagePattern(RAG_RPC.getFileBatch.pattern)
  getBatch(@Payload() data: unknown): Promise<R['getFileBatch']> {
    const { userId, vectorStoreId, batchId } = parseRequest(RAG_RPC.getFileBatch.request, data);
    return this.files.getBatch(userId, vectorStoreId, batchId);
  }

  @MessagePattern(RAG_RPC.cancelFileBatch.pattern)
  cancelBatch(@Payload() data: unknown): Promise<R['cancelFileBatch']> {
    const { userId, vectorStoreId, batchId } = parseRequest(RAG_RPC.cancelFileBatch.request, data);
    return this.files.cancelBatch(userId, vectorStoreId, batchId);
  }

  @MessagePattern(RAG_RPC.listFileBatchFiles.pattern)
  listBatchFiles(@Payload() data: unknown): Promise<R['listFileBatchFiles']> {
    return this.files.listBatchFiles(parseRequest(RAG_RPC.listFileBatchFiles.request, data));
  }
}
