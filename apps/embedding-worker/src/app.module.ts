import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { HealthModule, ObservabilityModule, RedisModule, platformConfig } from '@llmp/platform';
import { embeddingWorkerConfig } from './config/embedding-worker.config';
import { EmbeddingProcessor } from './embedding/embedding.processor';
import { EmbeddingService } from './embedding/embedding.service';
import { EmbeddingMetrics } from './metrics/embedding.metrics';
import { EmbeddingModelHost } from './models/embedding-model-host.service';

/** A queue worker: it owns no tables, so no database; its HTTP port serves only health and metrics. */
@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [platformConfig, embeddingWorkerConfig] }),
    ObservabilityModule.forRoot('embedding-worker'),
    HealthModule,
    RedisModule,
  ],
  providers: [EmbeddingModelHost, EmbeddingService, EmbeddingMetrics, EmbeddingProcessor],
})
export class AppModule {}
