import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Principal, UsageQuerySchema, UsageReport } from '@llmp/contracts';
import { ApiError, ApiErrorCode } from '@llmp/platform';
import { parseBody } from '../http/zod-body';
import { AuthRpcClient } from './auth-rpc.client';
import { CurrentPrincipal } from './current-principal.decorator';
import { RequireScope } from './require-scope.decorator';

@ApiTags('usage')
@ApiBearerAuth()
@Controller('v1/usage')
export class UsageController {
  constructor(private readonly rpc: AuthRpcClient) {}

  @RequireScope('usage.read')
  @Get()
  @ApiOperation({ summary: 'Token usage of the caller (admins: anyone, with user_id) grouped by model, key or day' })
  usage(@Query() query: unknown, @CurrentPrincipal() p: Principal): Promise<UsageReport> {
    const { user_id, ...rest } = parseBody(UsageQuerySchema, query ?? {});
    if (user_id && user_id !== p.userId && (p.role !== 'admin' || !p.scopes.includes('admin'))) {
      throw new ApiError(ApiErrorCode.PermissionDenied, 'Only admins can read the usage of other users.', 'user_id');
    }
    return this.rpc.call('usage', { ...rest, userId: user_id ?? p.userId });
  }
}
