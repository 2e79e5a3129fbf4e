import { Body, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CreateEmbeddingResponse, EmbeddingsRequestSchema, Principal } from '@llmp/contracts';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { EmbeddingsService } from './embeddings.service';
import { openApiSchema, parseBody } from '../http/zod-body';
import { RequireScope } from '../auth/require-scope.decorator';

@ApiTags('openai')
@Controller('v1/embeddings')
export class EmbeddingsController {
  constructor(private readonly embeddings: EmbeddingsService) {}

  @RequireScope('model.request')
  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: 'Create embeddings (OpenAI Embeddings API; float or base64 vectors)' })
  @ApiBody({ schema: openApiSchema(EmbeddingsRequestSchema) })
  create(
    @Body() body: unknown,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @CurrentPrincipal() principal: Principal,
  ): Promise<CreateEmbeddingResponse> {
    const request = parseBody(EmbeddingsRequestSchema, body);
    return this.embeddings.create(reply, principal, request, String(req.id));
  }
}
