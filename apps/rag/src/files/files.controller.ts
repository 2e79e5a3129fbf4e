import { Controller, UseFilters } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { RAG_RPC, RagRpcResponses } from '@llmp/contracts';
import { RagRpcExceptionFilter } from '../errors/rag-rpc-exception.filter';
import { parseRequest } from '../errors/rpc-request';
import { FilesService } from './files.service';

type R = RagRpcResponses;

@Controller()
@UseFilters(RagRpcExceptionFilter)
export class FilesController {
  constructor(private readonly files: FilesService) {}

  @MessagePattern(RAG_RPC.createFile.pattern)
  create(@Payload() data: unknown): Promise<R['createFile']> {
    return this.files.create(parseRequest(RAG_RPC.createFile.request, data));
  }

  @MessagePattern(RAG_RPC.listFiles.pattern)
  list(@Payload() data: unknown): Promise<R['listFiles']> {
    const { userId, ...query } = parseRequest(RAG_RPC.listFiles.request, data);
    return this.files.list(userId, query);
  }

  @MessagePattern(RAG_RPC.getFile.pattern)
  get(@Payload() data: unknown): Promise<R['getFile']> {
    const { userId, id } = parseRequest(RAG_RPC.getFile.request, data);
    return this.files.get(userId, id);
  }

  @MessagePattern(RAG_RPC.getFileContent.pattern)
  content(@Payload() data: unknown): Promise<R['getFileContent']> {
    const { userId, id } = parseRequest(RAG_RPC.getFileContent.request, data);
    return this.files.content(userId, id);
  }

  @MessagePattern(RAG_RPC.deleteFile.pattern)
  delete(@Payload() data: unknown): Promise<R['deleteFile']> {
    const { userId, id } = parseRequest(RAG_RPC.deleteFile.request, data);
    return this.files.delete(userId, id);
  }
}
