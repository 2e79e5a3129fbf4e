import { Body, Controller, Get, Param, Patch, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ListPage, ListQuerySchema, Principal, UpdateUserRequestSchema, UserView } from '@llmp/contracts';
import { openApiSchema, parseBody } from '../http/zod-body';
import { AuthRpcClient } from './auth-rpc.client';
import { CurrentPrincipal } from './current-principal.decorator';
import { RequireScope, requireAdmin } from './require-scope.decorator';

@ApiTags('admin')
@ApiBearerAuth()
@Controller('v1/admin/users')
export class AdminController {
  constructor(private readonly rpc: AuthRpcClient) {}

  @RequireScope('admin')
  @Get()
  @ApiOperation({ summary: 'List users (admin)' })
  list(@Query() query: unknown, @CurrentPrincipal() p: Principal): Promise<ListPage<UserView>> {
    requireAdmin(p);
    return this.rpc.call('listUsers', parseBody(ListQuerySchema, query ?? {}));
  }

  @RequireScope('admin')
  @Patch(':id')
  @ApiOperation({ summary: 'Disable or enable a user, change their role or limits (admin); effective within 1 s' })
  @ApiBody({ schema: openApiSchema(UpdateUserRequestSchema) })
  update(@Param('id') id: string, @Body() body: unknown, @CurrentPrincipal() p: Principal): Promise<UserView> {
    requireAdmin(p);
    return this.rpc.call('updateUser', { ...parseBody(UpdateUserRequestSchema, body), id });
  }
}
