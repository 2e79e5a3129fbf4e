import { Controller, UseFilters } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { AUTH_RPC, UsageReport } from '@llmp/contracts';
import { AuthRpcExceptionFilter } from '../errors/auth-rpc-exception.filter';
import { parseRequest } from '../errors/rpc-request';
import { UsageService } from './usage.service';

@Controller()
@UseFilters(AuthRpcExceptionFilter)
export class UsageController {
  constructor(private readonly usage: UsageService) {}

  @MessagePattern(AUTH_RPC.usage.pattern)
  report(@Payload() data: unknown): Promise<UsageReport> {
    const { userId, ...query } = parseRequest(AUTH_RPC.usage.request, data);
    return this.usage.report(userId, query);
  }
}
