import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query, Res } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import {
  AttributesSchema,
  CreateVectorStoreFileBodySchema,
  Principal,
  VectorStoreFileListQuerySchema,
} from '@llmp/contracts';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { RequireScope } from '../auth/require-scope.decorator';
import { gatewayConfig } from '../config/gateway.config';
import { openApiSchema, parseBody } from '../http/zod-body';
import { RagClient } from '../retrieval/rag.client';
import { withPollAfter } from './poll-after';

/** `POST /v1/vector_stores/{id}/files/{file_id}`: OpenAI's body (attributes required, null clears them). */
export const UpdateVectorStoreFileBodySchema = z.object({ attributes: AttributesSchema.nullable() });

/** Files of a vector store: attach (ingest), list, retrieve, change attributes, detach, read the indexed text. */
@ApiTags('vector stores')
@ApiBearerAuth()
@Controller('v1/vector_stores/:id/files')
export class VectorStoreFilesController {
  constructor(
    private readonly rag: RagClient,
    @Inject(gatewayConfig.KEY) private readonly cfg: ConfigType<typeof gatewayConfig>,
  ) {}

  @RequireScope('files.write')
  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: 'Attach a file to a vector store (ingested in the background: poll until completed)' })
  @ApiBody({ schema: openApiSchema(CreateVectorStoreFileBodySchema) })
  async create(
    @Param('id') id: string,
    @Body() body: unknown,
    @CurrentPrincipal() p: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const file = await this.rag.call('createVectorStoreFile', {
      ...parseBody(CreateVectorStoreFileBodySchema, body),
      vectorStoreId: id,
      userId: p.userId,
    });
    return withPollAfter(reply, file, this.cfg.ragPollAfterMs);
  }

  @RequireScope('files.read')
  @Get()
  @ApiOperation({ summary: "List a vector store's files (`filter` by status, cursor `after`/`before`)" })
  list(@Param('id') id: string, @Query() query: unknown, @CurrentPrincipal() p: Principal) {
    return this.rag.call('listVectorStoreFiles', {
      ...parseBody(VectorStoreFileListQuerySchema, query ?? {}),
      vectorStoreId: id,
      userId: p.userId,
    });
  }

  @RequireScope('files.read')
  @Get(':fileId')
  @ApiOperation({ summary: 'Retrieve a vector store file (its ingest status and last_error)' })
  async get(
    @Param('id') id: string,
    @Param('fileId') fileId: string,
    @CurrentPrincipal() p: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const file = await this.rag.call('getVectorStoreFile', { vectorStoreId: id, fileId, userId: p.userId });
    return withPollAfter(reply, file, this.cfg.ragPollAfterMs);
  }

  @RequireScope('files.write')
  @Post(':fileId')
  @HttpCode(200)
  @ApiOperation({ summary: "Replace a vector store file's attributes (searches filter on them at once)" })
  @ApiBody({ schema: openApiSchema(UpdateVectorStoreFileBodySchema) })
  async update(
    @Param('id') id: string,
    @Param('fileId') fileId: string,
    @Body() body: unknown,
    @CurrentPrincipal() p: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { attributes } = parseBody(UpdateVectorStoreFileBodySchema, body);
    const file = await this.rag.call('updateVectorStoreFile', {
      vectorStoreId: id,
      fileId,
      attributes,
      userId: p.userId,
    });
    return withPollAfter(reply, file, this.cfg.ragPollAfterMs);
  }

  @RequireScope('files.write')
  @Delete(':fileId')
  @ApiOperation({ summary: 'Detach a file from a vector store, removing its chunks and vectors (the file stays)' })
  remove(@Param('id') id: string, @Param('fileId') fileId: string, @CurrentPrincipal() p: Principal) {
    return this.rag.call('deleteVectorStoreFile', { vectorStoreId: id, fileId, userId: p.userId });
  }

  @RequireScope('files.read')
  @Get(':fileId/content')
  @ApiOperation({ summary: "A vector store file's indexed text, chunk by chunk" })
  content(@Param('id') id: string, @Param('fileId') fileId: string, @CurrentPrincipal() p: Principal) {
    return this.rag.call('getVectorStoreFileContent', { vectorStoreId: id, fileId, userId: p.userId });
  }
}
