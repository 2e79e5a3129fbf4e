import { Module } from '@nestjs/common';
import { GenerationModule } from '../generation/generation.module';
import { QueueMetrics } from './queue.metrics';
import { StatusController } from './status.controller';

/** The operator's `GET /v1/status`, and the queue-depth gauges on /metrics that the autoscaler reads. */
@Module({
  imports: [GenerationModule],
  controllers: [StatusController],
  providers: [QueueMetrics],
})
export class StatusModule {}
