import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HistoryListQuerySchema, Principal, ResponsesRequestSchema } from '@llmp/contracts';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { ChatHistoryClient } from '../conversations/chat-history.client';
import { openApiSchema, parseBody } from '../http/zod-body';
import { ResponsesService } from './responses.service';
import { RequireScope } from '../auth/require-scope.decorator';

@ApiTags('responses')
@ApiBearerAuth()
@Controller('v1/responses')
export class ResponsesController {
  constructor(
    private readonly responses: ResponsesService,
    private readonly history: ChatHistoryClient,
  ) {}

  @RequireScope('model.request')
  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Create a response (OpenAI Responses API; stateful with conversation or previous_response_id)',
  })
  @ApiBody({ schema: openApiSchema(ResponsesRequestSchema) })
  async create(
    @Body() body: unknown,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
    @CurrentPrincipal() p: Principal,
    @Query('dry_run') dryRunQuery?: string,
  ): Promise<void> {
    const request = parseBody(ResponsesRequestSchema, body);
    await this.responses.create(reply, p, request, String(req.id), request.dry_run === true || dryRunQuery === 'true');
  }

  @RequireScope('conversations.read')
  @Get(':id')
  @ApiOperation({ summary: 'Retrieve a stored response' })
  async get(@Param('id') id: string, @CurrentPrincipal() p: Principal) {
    return (await this.history.call('getResponse', { userId: p.userId, id })).response;
  }

  @RequireScope('conversations.write')
  @Delete(':id')
  @ApiOperation({ summary: 'Delete a stored response' })
  remove(@Param('id') id: string, @CurrentPrincipal() p: Principal) {
    return this.history.call('deleteResponse', { userId: p.userId, id });
  }

  @RequireScope('conversations.read')
  @Get(':id/input_items')
  @ApiOperation({ summary: "List a stored response's input items" })
  inputItems(@Param('id') id: string, @Query() query: unknown, @CurrentPrincipal() p: Principal) {
    const { limit, after, order } = parseBody(HistoryListQuerySchema.passthrough(), query ?? {});
    return this.history.call('listResponseInputItems', { userId: p.userId, id, limit, after, order });
  }
}
