import { Controller, UseFilters } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { JWK } from 'jose';
import { AUTH_RPC, TokenResponse } from '@llmp/contracts';
import { AuthRpcExceptionFilter } from '../errors/auth-rpc-exception.filter';
import { parseRequest } from '../errors/rpc-request';
import { SigningKeysService } from '../signing/signing-keys.service';
import { TokensService } from './tokens.service';

@Controller()
@UseFilters(AuthRpcExceptionFilter)
export class TokensController {
  constructor(
    private readonly tokens: TokensService,
    private readonly keys: SigningKeysService,
  ) {}

  @MessagePattern(AUTH_RPC.issueToken.pattern)
  issue(@Payload() data: unknown): Promise<TokenResponse> {
    return this.tokens.issue(parseRequest(AUTH_RPC.issueToken.request, data));
  }

  @MessagePattern(AUTH_RPC.refreshToken.pattern)
  refresh(@Payload() data: unknown): Promise<TokenResponse> {
    return this.tokens.refresh(parseRequest(AUTH_RPC.refreshToken.request, data).refresh_token);
  }

  @MessagePattern(AUTH_RPC.revokeToken.pattern)
  revoke(@Payload() data: unknown): Promise<{ revoked: true }> {
    const req = parseRequest(AUTH_RPC.revokeToken.request, data);
    return this.tokens.revoke(req.refresh_token, req.userId);
  }

  @MessagePattern(AUTH_RPC.jwks.pattern)
  jwks(@Payload() data: unknown): Promise<{ keys: JWK[] }> {
    parseRequest(AUTH_RPC.jwks.request, data);
    return this.keys.jwks();
  }
}
