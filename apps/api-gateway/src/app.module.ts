import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { HealthModule, ObservabilityModule, QueueModule, RedisModule, platformConfig } from '@llmp/platform';
import { AuthModule } from './auth/auth.module';
import { BatchesModule } from './batches/batches.module';
import { ChatCompletionsModule } from './chat-completions/chat-completions.module';
import { CompletionsModule } from './completions/completions.module';
import { gatewayConfig } from './config/gateway.config';
import { ConversationsModule } from './conversations/conversations.module';
import { EmbeddingsModule } from './embeddings/embeddings.module';
import { FilesModule } from './files/files.module';
import { FunctionsModule } from './functions/functions.module';
import { MessagesModule } from './messages/messages.module';
import { ModelsModule } from './models/models.module';
import { RagRoutesModule } from './rag/rag-routes.module';
import { ResponsesModule } from './responses/responses.module';
import { VectorStoresModule } from './vector-stores/vector-stores.module';
import { StatusModule } from './status/status.module';

/** The public edge: one feature module per API family. */
@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [platformConfig, gatewayConfig] }),
    ObservabilityModule.forRoot('api-gateway'),
    HealthModule,
    RedisModule,
    QueueModule,
    AuthModule,
    ModelsModule,
    FunctionsModule,
    ChatCompletionsModule,
    CompletionsModule,
    EmbeddingsModule,
    ConversationsModule,
    ResponsesModule,
    MessagesModule,
    FilesModule,
    VectorStoresModule,
    StatusModule,
    RagRoutesModule,
    BatchesModule,
  ],
})
export class AppModule {}
