import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import {
  DatabaseModule,
  HealthModule,
  ObservabilityModule,
  QueueModule,
  RedisModule,
  platformConfig,
} from '@llmp/platform';
import { chatHistoryConfig } from './config/chat-history.config';
import { ContextModule } from './context/context.module';
import { ConversationsModule } from './conversations/conversations.module';
import { ChatHistoryBaseline1732300000000 } from './database/migrations/1732300000000-chat-history-baseline';
import { ChatHistoryTables1732500000000 } from './database/migrations/1732500000000-chat-history-tables';
import { ChatHistoryJobOutbox1732700000000 } from './database/migrations/1732700000000-chat-history-job-outbox';
import { CHAT_HISTORY_ENTITIES } from './database/storage.module';
import { ItemsModule } from './items/items.module';
import { JobsModule } from './jobs/jobs.module';
import { ResponsesModule } from './responses/responses.module';
import { SummariesModule } from './summaries/summaries.module';
import { UsersModule } from './users/users.module';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [platformConfig, chatHistoryConfig] }),
    ObservabilityModule.forRoot('chat-history'),
    HealthModule,
    RedisModule,
    QueueModule,
    DatabaseModule.forService({
      schema: 'chat_history',
      entities: CHAT_HISTORY_ENTITIES,
      migrations: [ChatHistoryBaseline1732300000000, ChatHistoryTables1732500000000, ChatHistoryJobOutbox1732700000000],
    }),
    ConversationsModule,
    ItemsModule,
    ContextModule,
    SummariesModule,
    ResponsesModule,
    UsersModule,
    JobsModule,
  ],
})
export class AppModule {}
