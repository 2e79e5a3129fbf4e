import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { HealthModule, ObservabilityModule, RedisModule, platformConfig } from '@llmp/platform';
import { workerConfig } from './config/worker.config';
import { CancelRegistry } from './inference/cancel-registry.service';
import { GenerationService } from './inference/generation.service';
import { InferenceProcessor } from './inference/inference.processor';
import { InferenceMetrics } from './metrics/inference.metrics';
import { ModelHost } from './models/model-host.service';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [platformConfig, workerConfig] }),
    ObservabilityModule.forRoot('inference-worker'),
    HealthModule,
    RedisModule,
  ],
  providers: [ModelHost, GenerationService, CancelRegistry, InferenceMetrics, InferenceProcessor],
})
export class AppModule {}
