import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Res } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CreateFileBatchBodySchema, Principal, VectorStoreFileListQuerySchema } from '@llmp/contracts';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { RequireScope } from '../auth/require-scope.decorator';
import { gatewayConfig } from '../config/gateway.config';
import { openApiSchema, parseBody } from '../http/zod-body';
import { RagClient } from '../retrieval/rag.client';
import { withPollAfter } from './poll-after';

/** File batches of a vector store: attach many files at once, follow and cancel them. */
@ApiTags('vector stores')
@ApiBearerAuth()
@Controller('v1/vector_stores/:id/file_batches')
export class FileBatchesController {
  constructor(
    private readonly rag: RagClient,
    @Inject(gatewayConfig.KEY) private readonly cfg: ConfigType<typeof gatewayConfig>,
  ) {}

  @RequireScope('files.write')
  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: 'Attach files in one batch (`file_ids`, or `files` with their own attributes)' })
  @ApiBody({ schema: openApiSchema(CreateFileBatchBodySchema) })
  async create(
    @Param('id') id: string,
    @Body() body: unknown,
    @CurrentPrincipal() p: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const batch = await this.rag.call('createFileBatch', {
      ...parseBody(CreateFileBatchBodySchema, body),
      vectorStoreId: id,
      userId: p.userId,
    });
    return withPollAfter(reply, batch, this.cfg.ragPollAfterMs);
  }

  @RequireScope('files.read')
  @Get(':batchId')
  @ApiOperation({ summary: 'Retrieve a file batch (status and exact file_counts)' })
  async get(
    @Param('id') id: string,
    @Param('batchId') batchId: string,
    @CurrentPrincipal() p: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const batch = await this.rag.call('getFileBatch', { vectorStoreId: id, batchId, userId: p.userId });
    return withPollAfter(reply, batch, this.cfg.ragPollAfterMs);
  }

  @RequireScope('files.write')
  @Post(':batchId/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel the files of a batch still waiting (they are detached)' })
  async cancel(
    @Param('id') id: string,
    @Param('batchId') batchId: string,
    @CurrentPrincipal() p: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const batch = await this.rag.call('cancelFileBatch', { vectorStoreId: id, batchId, userId: p.userId });
    return withPollAfter(reply, batch, this.cfg.ragPollAfterMs);
  }

  @RequireScope('files.read')
  @Get(':batchId/files')
  @ApiOperation({ summary: "List a batch's files (`filter` by status, cursor `after`/`before`)" })
  listFiles(
    @Param('id') id: string,
    @Param('batchId') batchId: string,
    @Query() query: unknown,
    @CurrentPrincipal() p: Principal,
  ) {
    return this.rag.call('listFileBatchFiles', {
      ...parseBody(VectorStoreFileListQuerySchema, query ?? {}),
      vectorStoreId: id,
      batchId,
      userId: p.userId,
    });
  }
}
