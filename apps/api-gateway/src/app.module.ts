import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { HealthModule, ObservabilityModule, QueueModule, RedisModule, platformConfig } from '@llmp/platform';
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
  controllers: [ModelsController, ChatCompletionsController, CompletionsController],
  providers: [ModelCatalog, ReplyHub, InferenceClient, CompletionRunner, GatewayMetrics],
})
export class AppModule {}
