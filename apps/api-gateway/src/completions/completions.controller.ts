import { Body, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CompletionRequestSchema, Principal } from '@llmp/contracts';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { openApiSchema, parseBody } from '../http/zod-body';
import { CompletionsService } from './completions.service';
import { RequireScope } from '../auth/require-scope.decorator';

@ApiTags('openai')
@Controller('v1/completions')
export class CompletionsController {
  constructor(private readonly completions: CompletionsService) {}

  @RequireScope('model.request')
  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: 'Create a text completion (OpenAI Completions API; SSE when stream is true)' })
  @ApiBody({ schema: openApiSchema(CompletionRequestSchema) })
  async create(
    @Body() body: unknown,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
    @CurrentPrincipal() principal: Principal,
  ): Promise<void> {
    await this.completions.create(reply, principal, parseBody(CompletionRequestSchema, body), String(req.id));
  }
}
