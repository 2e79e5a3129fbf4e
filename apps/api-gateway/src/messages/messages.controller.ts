import { Body, Controller, HttpCode, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CountTokensRequestSchema, MessagesRequestSchema, Principal } from '@llmp/contracts';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { RequireScope } from '../auth/require-scope.decorator';
import { openApiSchema, parseBody } from '../http/zod-body';
import { AnthropicErrorFilter } from './anthropic-error.filter';
import { MessagesService } from './messages.service';

/**
 * Anthropic's Messages API for clients built on `@anthropic-ai/sdk`: the key as `x-api-key` or Bearer;
 * `anthropic-version` and `anthropic-beta` are accepted and ignored, and so is a query string (`?beta=true`).
 * Every error of these routes, the auth guard's included, is in Anthropic's shape.
 */
@ApiTags('anthropic')
@ApiBearerAuth()
@ApiHeader({ name: 'x-api-key', required: false, description: 'API key (instead of Authorization: Bearer)' })
@ApiHeader({ name: 'anthropic-version', required: false, description: 'Accepted and ignored' })
@UseFilters(AnthropicErrorFilter)
@Controller('v1/messages')
export class MessagesController {
  constructor(private readonly messages: MessagesService) {}

  @RequireScope('model.request')
  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: "Create a message (Anthropic's Messages API; typed SSE events when stream is true)" })
  @ApiBody({ schema: openApiSchema(MessagesRequestSchema) })
  async create(
    @Body() body: unknown,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
    @CurrentPrincipal() principal: Principal,
  ): Promise<void> {
    await this.messages.create(reply, principal, parseBody(MessagesRequestSchema, body), String(req.id));
  }

  @RequireScope('model.request')
  @Post('count_tokens')
  @HttpCode(200)
  @ApiOperation({ summary: "Count a message request's input tokens with the model's tokenizer (Anthropic's API)" })
  @ApiBody({ schema: openApiSchema(CountTokensRequestSchema) })
  async countTokens(
    @Body() body: unknown,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
    @CurrentPrincipal() principal: Principal,
  ): Promise<void> {
    await this.messages.countTokens(reply, principal, parseBody(CountTokensRequestSchema, body), String(req.id));
  }
}
