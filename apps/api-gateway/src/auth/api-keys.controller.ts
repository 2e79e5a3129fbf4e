import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  ApiKeyCreated,
  ApiKeyView,
  CreateApiKeyRequestSchema,
  ListPage,
  ListQuerySchema,
  Principal,
} from '@llmp/contracts';
import { openApiSchema, parseBody } from '../http/zod-body';
import { AuthRpcClient } from './auth-rpc.client';
import { CurrentPrincipal } from './current-principal.decorator';
import { RequireScope } from './require-scope.decorator';

@ApiTags('api-keys')
@ApiBearerAuth()
@Controller('v1/api-keys')
export class ApiKeysController {
  constructor(private readonly rpc: AuthRpcClient) {}

  @RequireScope('api_keys.write')
  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Create an API key; the secret is shown once' })
  @ApiBody({ schema: openApiSchema(CreateApiKeyRequestSchema) })
  create(@Body() body: unknown, @CurrentPrincipal() p: Principal): Promise<ApiKeyCreated> {
    // The auth service checks that a key creating a key grants no more than it holds itself.
    const request = parseBody(CreateApiKeyRequestSchema, body);
    return this.rpc.call('createApiKey', { ...request, userId: p.userId, creatorKeyId: p.keyId });
  }

  @RequireScope('api_keys.read')
  @Get()
  @ApiOperation({ summary: "List the caller's API keys (never the secrets)" })
  list(@Query() query: unknown, @CurrentPrincipal() p: Principal): Promise<ListPage<ApiKeyView>> {
    return this.rpc.call('listApiKeys', { ...parseBody(ListQuerySchema, query ?? {}), userId: p.userId });
  }

  @RequireScope('api_keys.write')
  @Delete(':id')
  @ApiOperation({ summary: 'Revoke an API key (effective on every gateway within a second)' })
  revoke(@Param('id') id: string, @CurrentPrincipal() p: Principal): Promise<unknown> {
    return this.rpc.call('revokeApiKey', { id, userId: p.userId });
  }
}
