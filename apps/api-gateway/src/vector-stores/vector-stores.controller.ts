import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  CreateVectorStoreBodySchema,
  Principal,
  UpdateVectorStoreBodySchema,
  VectorStoreListQuerySchema,
  VectorStoreSearchBodySchema,
} from '@llmp/contracts';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { RequireScope } from '../auth/require-scope.decorator';
import { openApiSchema, parseBody } from '../http/zod-body';
import { RagClient } from '../retrieval/rag.client';

/** OpenAI's Vector Stores API (stores and search) over the rag service, scoped to the caller. */
@ApiTags('vector stores')
@ApiBearerAuth()
@Controller('v1/vector_stores')
export class VectorStoresController {
  constructor(private readonly rag: RagClient) {}

  @RequireScope('files.write')
  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: 'Create a vector store (its `file_ids` are attached and ingested)' })
  @ApiBody({ schema: openApiSchema(CreateVectorStoreBodySchema) })
  create(@Body() body: unknown, @CurrentPrincipal() p: Principal) {
    return this.rag.call('createVectorStore', { ...parseBody(CreateVectorStoreBodySchema, body), userId: p.userId });
  }

  @RequireScope('files.read')
  @Get()
  @ApiOperation({ summary: "List the caller's vector stores (cursor `after`/`before`, `limit`, `order`)" })
  list(@Query() query: unknown, @CurrentPrincipal() p: Principal) {
    return this.rag.call('listVectorStores', {
      ...parseBody(VectorStoreListQuerySchema, query ?? {}),
      userId: p.userId,
    });
  }

  @RequireScope('files.read')
  @Get(':id')
  @ApiOperation({ summary: 'Retrieve a vector store' })
  get(@Param('id') id: string, @CurrentPrincipal() p: Principal) {
    return this.rag.call('getVectorStore', { id, userId: p.userId });
  }

  @RequireScope('files.write')
  @Post(':id')
  @HttpCode(200)
  @ApiOperation({ summary: 'Update a vector store (name, expires_after, metadata)' })
  @ApiBody({ schema: openApiSchema(UpdateVectorStoreBodySchema) })
  update(@Param('id') id: string, @Body() body: unknown, @CurrentPrincipal() p: Principal) {
    return this.rag.call('updateVectorStore', {
      ...parseBody(UpdateVectorStoreBodySchema, body),
      id,
      userId: p.userId,
    });
  }

  @RequireScope('files.write')
  @Delete(':id')
  @ApiOperation({ summary: 'Delete a vector store with its chunks and vectors (the files stay)' })
  remove(@Param('id') id: string, @CurrentPrincipal() p: Principal) {
    return this.rag.call('deleteVectorStore', { id, userId: p.userId });
  }

  @RequireScope('files.read')
  @Post(':id/search')
  @HttpCode(200)
  @ApiOperation({ summary: 'Hybrid search of a vector store, with attribute filters and ranking options' })
  @ApiBody({ schema: openApiSchema(VectorStoreSearchBodySchema) })
  search(@Param('id') id: string, @Body() body: unknown, @CurrentPrincipal() p: Principal) {
    return this.rag.call('search', {
      ...parseBody(VectorStoreSearchBodySchema, body),
      vectorStoreIds: [id],
      userId: p.userId,
    });
  }
}
