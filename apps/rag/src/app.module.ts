import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { DatabaseModule, HealthModule, ObservabilityModule, RedisModule, platformConfig } from '@llmp/platform';
import { ragConfig } from './config/rag.config';
import { RagBaseline1732300000000 } from './database/migrations/1732300000000-rag-baseline';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [platformConfig, ragConfig] }),
    ObservabilityModule.forRoot('rag'),
    HealthModule,
    RedisModule,
    DatabaseModule.forService({ schema: 'rag', entities: [], migrations: [RagBaseline1732300000000] }),
  ],
})
export class AppModule {}
