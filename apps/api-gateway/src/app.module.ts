import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { APP_GUARD } from '@nestjs/core';
import {
  HealthModule,
  ObservabilityModule,
  QueueModule,
  RateLimiter,
  RedisModule,
  platformConfig,
} from '@llmp/platform';
import { AdminController } from './auth/admin.controller';
import { ApiKeysController } from './auth/api-keys.controller';
import { AuthRpcClient } from './auth/auth-rpc.client';
import { AuthController } from './auth/auth.controller';
import { AuthGuard } from './auth/auth.guard';
import { PrincipalResolver } from './auth/principal-resolver.service';
import { UsageRecorder } from './auth/usage-recorder.service';
import { UsageController } from './auth/usage.controller';
import { gatewayConfig } from './config/gateway.config';
import { InferenceClient } from './inference/inference-client.service';
import { ReplyHub } from './inference/reply-hub.service';
import { GatewayMetrics } from './metrics/gateway.metrics';
import { ModelCatalog } from './models/model-catalog.service';
import { ModelsController } from './models/models.controller';
import { ChatCompletionsController } from './openai/chat-completions.controller';
import { CompletionRunner } from './openai/completion-runner.service';
import { CompletionsController } from './openai/completions.controller';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [platformConfig, gatewayConfig] }),
    ObservabilityModule.forRoot('api-gateway'),
    HealthModule,
    RedisModule,
    QueueModule,
  ],
  controllers: [
    ModelsController,
    ChatCompletionsController,
    CompletionsController,
    AuthController,
    ApiKeysController,
    UsageController,
    AdminController,
  ],
  providers: [
    ModelCatalog,
    ReplyHub,
    InferenceClient,
    CompletionRunner,
    GatewayMetrics,
    AuthRpcClient,
    PrincipalResolver,
    RateLimiter,
    UsageRecorder,
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
})
export class AppModule {}
