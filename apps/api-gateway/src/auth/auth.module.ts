import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { MeteringModule } from '../metering/metering.module';
import { AdminController } from './admin.controller';
import { ApiKeysController } from './api-keys.controller';
import { AuthFailureThrottle } from './auth-failure-throttle';
import { AuthRpcClient } from './auth-rpc.client';
import { AuthController } from './auth.controller';
import { AuthGuard } from './auth.guard';
import { PrincipalResolver } from './principal-resolver.service';
import { UsageController } from './usage.controller';

/**
 * Identity at the edge: the global guard (credential → principal, request limits), and the public routes of the
 * auth service (users and tokens, API keys, usage, admin).
 */
@Module({
  imports: [MeteringModule],
  controllers: [AuthController, ApiKeysController, UsageController, AdminController],
  providers: [AuthRpcClient, PrincipalResolver, AuthFailureThrottle, { provide: APP_GUARD, useClass: AuthGuard }],
  exports: [AuthRpcClient],
})
export class AuthModule {}
