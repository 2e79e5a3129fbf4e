import { Body, Controller, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ChatCompletionRequestSchema, Principal } from '@llmp/contracts';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { openApiSchema, parseBody } from '../http/zod-body';
import { ChatCompletionsService } from './chat-completions.service';
import { RequireScope } from '../auth/require-scope.decorator';

@ApiTags('openai')
@Controller('v1/chat/completions')
export class ChatCompletionsController {
  constructor(private readonly chat: ChatCompletionsService) {}

  @RequireScope('model.request')
  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: 'Create a chat completion (OpenAI Chat Completions API; SSE when stream is true)' })
  @ApiBody({ schema: openApiSchema(ChatCompletionRequestSchema) })
  async create(
    @Body() body: unknown,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
    @CurrentPrincipal() principal: Principal,
    @Query('dry_run') dryRunQuery?: string,
  ): Promise<void> {
    const request = parseBody(ChatCompletionRequestSchema, body);
    const dryRun = request.dry_run === true || dryRunQuery === 'true';
    await this.chat.create(reply, principal, request, String(req.id), dryRun);
  }
}
