import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import {
  CreateConversationBodySchema,
  CreateItemsBodySchema,
  ExportFormatSchema,
  HistoryListQuerySchema,
  Principal,
  UpdateConversationBodySchema,
} from '@llmp/contracts';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { openApiSchema, parseBody } from '../http/zod-body';
import { ChatHistoryClient } from './chat-history.client';
import { RequireScope } from '../auth/require-scope.decorator';

const ExportQuerySchema = z.object({ format: ExportFormatSchema.default('json') }).passthrough();
/** OpenAI's SDK may send `include[]` on item routes; it changes nothing here. */
const ListQuerySchema = HistoryListQuerySchema.passthrough();

/** OpenAI's Conversations API, scoped to the caller, plus `GET /v1/conversations` and export. */
@ApiTags('conversations')
@ApiBearerAuth()
@Controller('v1/conversations')
export class ConversationsController {
  constructor(private readonly history: ChatHistoryClient) {}

  @RequireScope('conversations.write')
  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: 'Create a conversation (optionally with items, a title, a system prompt, a TTL)' })
  @ApiBody({ schema: openApiSchema(CreateConversationBodySchema) })
  create(@Body() body: unknown, @CurrentPrincipal() p: Principal) {
    return this.history.call('createConversation', {
      ...parseBody(CreateConversationBodySchema, body),
      userId: p.userId,
    });
  }

  @RequireScope('conversations.read')
  @Get()
  @ApiOperation({ summary: "List the caller's conversations, newest first (extension)" })
  list(@Query() query: unknown, @CurrentPrincipal() p: Principal) {
    const { limit, after, order } = parseBody(ListQuerySchema, query ?? {});
    return this.history.call('listConversations', { limit, after, order, userId: p.userId });
  }

  @RequireScope('conversations.read')
  @Get(':id')
  @ApiOperation({ summary: 'Retrieve a conversation' })
  get(@Param('id') id: string, @CurrentPrincipal() p: Principal) {
    return this.history.call('getConversation', { id, userId: p.userId });
  }

  @RequireScope('conversations.write')
  @Post(':id')
  @HttpCode(200)
  @ApiOperation({ summary: 'Update a conversation (metadata, title, system prompt, TTL)' })
  @ApiBody({ schema: openApiSchema(UpdateConversationBodySchema) })
  update(@Param('id') id: string, @Body() body: unknown, @CurrentPrincipal() p: Principal) {
    return this.history.call('updateConversation', {
      ...parseBody(UpdateConversationBodySchema, body),
      id,
      userId: p.userId,
    });
  }

  @RequireScope('conversations.write')
  @Delete(':id')
  @ApiOperation({ summary: 'Delete a conversation with its items, summaries and memory' })
  remove(@Param('id') id: string, @CurrentPrincipal() p: Principal) {
    return this.history.call('deleteConversation', { id, userId: p.userId });
  }

  @RequireScope('conversations.read')
  @Get(':id/export')
  @ApiOperation({ summary: 'Export a conversation as JSON or Markdown (extension)' })
  async export(
    @Param('id') id: string,
    @Query() query: unknown,
    @CurrentPrincipal() p: Principal,
    @Res() reply: FastifyReply,
  ) {
    const { format } = parseBody(ExportQuerySchema, query ?? {});
    const exported = await this.history.call('exportConversation', { id, format, userId: p.userId });
    await reply
      .header('content-type', exported.content_type)
      .header('content-disposition', `attachment; filename="${exported.filename}"`)
      .send(exported.body);
  }

  @RequireScope('conversations.write')
  @Post(':id/items')
  @HttpCode(200)
  @ApiOperation({ summary: 'Add up to 20 items to a conversation' })
  @ApiBody({ schema: openApiSchema(CreateItemsBodySchema) })
  createItems(@Param('id') id: string, @Body() body: unknown, @CurrentPrincipal() p: Principal) {
    const { items } = parseBody(CreateItemsBodySchema, body);
    return this.history.call('createItems', { conversationId: id, items, userId: p.userId });
  }

  @RequireScope('conversations.read')
  @Get(':id/items')
  @ApiOperation({ summary: "List a conversation's items" })
  listItems(@Param('id') id: string, @Query() query: unknown, @CurrentPrincipal() p: Principal) {
    const { limit, after, order } = parseBody(ListQuerySchema, query ?? {});
    return this.history.call('listItems', { conversationId: id, limit, after, order, userId: p.userId });
  }

  @RequireScope('conversations.read')
  @Get(':id/items/:itemId')
  @ApiOperation({ summary: 'Retrieve an item' })
  getItem(@Param('id') id: string, @Param('itemId') itemId: string, @CurrentPrincipal() p: Principal) {
    return this.history.call('getItem', { conversationId: id, itemId, userId: p.userId });
  }

  @RequireScope('conversations.write')
  @Delete(':id/items/:itemId')
  @ApiOperation({ summary: 'Delete an item' })
  deleteItem(@Param('id') id: string, @Param('itemId') itemId: string, @CurrentPrincipal() p: Principal) {
    return this.history.call('deleteItem', { conversationId: id, itemId, userId: p.userId });
  }
}
