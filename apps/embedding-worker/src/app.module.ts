import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { HealthModule, ObservabilityModule, RedisModule, platformConfig } from '@llmp/platform';
import { embeddingWorkerConfig } from './config/embedding-worker.config';

/** A queue worker: it owns no tables, so no database; its HTTP port serves only health and metrics. */
@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [platformConfig, embeddingWorkerConfig] }),
    ObservabilityModule.forRoot('embedding-worker'),
    HealthModule,
    RedisModule,
  ],
})
export class AppModule {}
