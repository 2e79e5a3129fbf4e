import { Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { JobClient } from '@llmp/job-client';
import { RedisFactory, platformConfig, queueTelemetry } from '@llmp/platform';
import { MeteringModule } from '../metering/metering.module';
import { ModelsModule } from '../models/models.module';
import { ProvidersModule } from '../providers/providers.module';
import { RetrievalModule } from '../retrieval/retrieval.module';
import { BATCH_JOB_CLIENT } from './batch.constants';
import { BatchLineExecutor } from './batch-line-executor.service';
import { BatchProcessor } from './batch.processor';
import { BatchRunner } from './batch-runner.service';
import { BatchesController } from './batches.controller';
import { BatchesRepository } from './batches.repository';
import { BatchesService } from './batches.service';

/**
 * OpenAI's Batch API (`/v1/batches`) and its runner. Batch lines go to the model queues through a JobClient of
 * their own (`@llmp/job-client`, its own reply channel), with a BullMQ priority, outside the interactive admission
 * budget; usage is recorded per line with the gateway's UsageRecorder (from MeteringModule).
 */
@Module({
  imports: [MeteringModule, ModelsModule, ProvidersModule, RetrievalModule],
  controllers: [BatchesController],
  providers: [
    {
      provide: BATCH_JOB_CLIENT,
      inject: [RedisFactory, platformConfig.KEY],
      useFactory: (redis: RedisFactory, platform: ConfigType<typeof platformConfig>) =>
        new JobClient({
          connection: redis.create('batch-jobs'),
          prefix: platform.queuePrefix,
          instanceId: `batch-${platform.instanceId}`,
          ...queueTelemetry(),
        }),
    },
    BatchesRepository,
    BatchesService,
    BatchLineExecutor,
    BatchRunner,
    BatchProcessor,
  ],
})
export class BatchesModule {}
