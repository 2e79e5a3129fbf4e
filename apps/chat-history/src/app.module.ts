import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { DatabaseModule, HealthModule, ObservabilityModule, RedisModule, platformConfig } from '@llmp/platform';
import { chatHistoryConfig } from './config/chat-history.config';
import { ChatHistoryBaseline1732300000000 } from './database/migrations/1732300000000-chat-history-baseline';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [platformConfig, chatHistoryConfig] }),
    ObservabilityModule.forRoot('chat-history'),
    HealthModule,
    RedisModule,
    DatabaseModule.forService({ schema: 'chat_history', entities: [], migrations: [ChatHistoryBaseline1732300000000] }),
  ],
})
export class AppModule {}
