import { Body, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '@llmp/contracts';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { RequireScope } from '../auth/require-scope.decorator';
import { openApiSchema, parseBody } from '../http/zod-body';
import { RagChat } from './rag-chat.service';
import { RagDocuments } from './rag-documents.service';
import { RagChatBodySchema, RagDocumentsBodySchema, RagSearchBodySchema } from './rag-routes.dto';

/** The seeds' RAG routes, on a default vector store per user (the same data as /v1/files and /v1/vector_stores). */
@ApiTags('rag')
@ApiBearerAuth()
@Controller('v1/rag')
export class RagRoutesController {
  constructor(
    private readonly documents: RagDocuments,
    private readonly chat: RagChat,
  ) {}

  @RequireScope('files.write')
  @Post('documents')
  @ApiOperation({ summary: 'Store texts as documents (files) in the default vector store, metadata as attributes' })
  @ApiBody({ schema: openApiSchema(RagDocumentsBodySchema) })
  add(@Body() body: unknown, @CurrentPrincipal() p: Principal) {
    return this.documents.add(p, parseBody(RagDocumentsBodySchema, body));
  }

  @RequireScope('files.read')
  @Post('search')
  @HttpCode(200)
  @ApiOperation({ summary: 'Hybrid search of the default vector store, with an optional metadata filter' })
  @ApiBody({ schema: openApiSchema(RagSearchBodySchema) })
  search(@Body() body: unknown, @CurrentPrincipal() p: Principal) {
    return this.documents.search(p, parseBody(RagSearchBodySchema, body));
  }

  /** Also needs `files.read` (checked by the service once the body is valid). */
  @RequireScope('model.request')
  @Post('chat')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Answer a question from the default vector store, citing numbered sources (SSE with stream)',
  })
  @ApiBody({ schema: openApiSchema(RagChatBodySchema) })
  async answer(
    @Body() body: unknown,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
    @CurrentPrincipal() p: Principal,
  ): Promise<void> {
    await this.chat.answer(reply, p, parseBody(RagChatBodySchema, body), String(req.id));
  }
}
