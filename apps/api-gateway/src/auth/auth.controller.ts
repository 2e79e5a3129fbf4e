import { Body, Controller, Get, HttpCode, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import {
  LogoutRequestSchema,
  Principal,
  RefreshRequestSchema,
  RegisterRequestSchema,
  TokenRequestSchema,
  TokenResponse,
  UserView,
} from '@llmp/contracts';
import { openApiSchema, parseBody } from '../http/zod-body';
import { AuthRpcClient } from './auth-rpc.client';
import { CurrentPrincipal } from './current-principal.decorator';
import { Public } from './public.decorator';
import { ANY_SCOPE, RequireScope } from './require-scope.decorator';

@ApiTags('auth')
@Controller('v1/auth')
export class AuthController {
  constructor(private readonly rpc: AuthRpcClient) {}

  @Public()
  @Post('register')
  @HttpCode(201)
  @ApiOperation({ summary: 'Create a user account' })
  @ApiBody({ schema: openApiSchema(RegisterRequestSchema) })
  register(@Body() body: unknown): Promise<UserView> {
    return this.rpc.call('register', parseBody(RegisterRequestSchema, body));
  }

  @Public()
  @Post('token')
  @HttpCode(200)
  @ApiOperation({ summary: 'Log in: JSON or OAuth2 password form → access and refresh tokens' })
  @ApiConsumes('application/json', 'application/x-www-form-urlencoded')
  @ApiBody({ schema: openApiSchema(TokenRequestSchema) })
  token(@Body() body: unknown, @Req() req: FastifyRequest): Promise<TokenResponse> {
    const { username, password } = parseBody(TokenRequestSchema, body);
    return this.rpc.call('issueToken', { username, password, ip: req.ip });
  }

  @Public()
  @Post('refresh')
  @HttpCode(200)
  @ApiOperation({ summary: 'Exchange a refresh token for a new pair (rotating; reuse revokes the family)' })
  @ApiBody({ schema: openApiSchema(RefreshRequestSchema) })
  refresh(@Body() body: unknown): Promise<TokenResponse> {
    return this.rpc.call('refreshToken', parseBody(RefreshRequestSchema, body));
  }

  @RequireScope(ANY_SCOPE)
  @Post('logout')
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Revoke a refresh token and its family' })
  @ApiBody({ schema: openApiSchema(LogoutRequestSchema) })
  async logout(@Body() body: unknown, @CurrentPrincipal() p: Principal): Promise<{ revoked: true }> {
    const { refresh_token } = parseBody(LogoutRequestSchema, body);
    await this.rpc.call('revokeToken', { refresh_token, userId: p.userId });
    return { revoked: true };
  }

  @RequireScope(ANY_SCOPE)
  @Get('me')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'The calling user, and the scopes its credential holds (extension: `scopes`)' })
  async me(@CurrentPrincipal() p: Principal): Promise<UserView & { scopes: Principal['scopes'] }> {
    return { ...(await this.rpc.call('me', { userId: p.userId })), scopes: p.scopes };
  }
}
