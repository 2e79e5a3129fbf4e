import { Controller, UseFilters } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { AUTH_RPC, ApiKeyCreated, ApiKeyView, ListPage, Principal } from '@llmp/contracts';
import { AuthRpcExceptionFilter } from '../errors/auth-rpc-exception.filter';
import { parseRequest } from '../errors/rpc-request';
import { ApiKeysService } from './api-keys.service';

@Controller()
@UseFilters(AuthRpcExceptionFilter)
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @MessagePattern(AUTH_RPC.createApiKey.pattern)
  create(@Payload() data: unknown): Promise<ApiKeyCreated> {
    const { userId, creatorKeyId, ...req } = parseRequest(AUTH_RPC.createApiKey.request, data);
    return this.keys.create(userId, creatorKeyId, req);
  }

  @MessagePattern(AUTH_RPC.listApiKeys.pattern)
  list(@Payload() data: unknown): Promise<ListPage<ApiKeyView>> {
    const { userId, ...query } = parseRequest(AUTH_RPC.listApiKeys.request, data);
    return this.keys.list(userId, query);
  }

  @MessagePattern(AUTH_RPC.revokeApiKey.pattern)
  revoke(@Payload() data: unknown): Promise<{ id: string; object: 'api_key'; deleted: true }> {
    const { userId, id } = parseRequest(AUTH_RPC.revokeApiKey.request, data);
    return this.keys.revoke(userId, id);
  }

  @MessagePattern(AUTH_RPC.keyPrincipal.pattern)
  principal(@Payload() data: unknown): Promise<Principal | null> {
    return this.keys.principal(parseRequest(AUTH_RPC.keyPrincipal.request, data).keyHash);
  }
}
