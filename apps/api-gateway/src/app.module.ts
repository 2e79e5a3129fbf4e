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
import { ChatHistoryClient } from './conversations/chat-history.client';
import { ConversationsController } from './conversations/conversations.controller';
import { MeController } from './conversations/me.controller';
import { StatefulChat } from './conversations/stateful-chat.service';
import { InferenceClient } from './inference/inference-client.service';
import { ReplyHub } from './inference/reply-hub.service';
import { GatewayMetrics } from './metrics/gateway.metrics';
import { ModelCatalog } from './models/model-catalog.service';
import { ModelsController } from './models/models.controller';
import { ChatCompletionsController } from './openai/chat-completions.controller';
import { CompletionRunner } from './openai/completion-runner.service';
import { CompletionsController } from './openai/completions.controller';
import { EmbeddingsController } from './openai/embeddings.controller';
import { EmbeddingsService } from './openai/embeddings.service';
import { ResponsesController } from './responses/responses.controller';
import { ResponsesService } from './responses/responses.service';

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
    EmbeddingsController,
    AuthController,
    ApiKeysController,
    UsageController,
    AdminController,
    ConversationsController,
    ResponsesController,
    MeController,
  ],
  providers: [
    ModelCatalog,
    ReplyHub,
    InferenceClient,
    CompletionRunner,
    EmbeddingsService,
    GatewayMetrics,
    AuthRpcClient,
    PrincipalResolver,
    RateLimiter,
    UsageRecorder,
    ChatHistoryClient,
    StatefulChat,
    ResponsesService,
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
})
export class AppModule {}
