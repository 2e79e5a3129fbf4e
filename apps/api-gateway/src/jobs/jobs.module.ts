import { Module } from '@nestjs/common';
import { MeteringModule } from '../metering/metering.module';
import { AdmissionControl } from './admission.service';
import { GatewayMetrics } from './gateway.metrics';
import { InferenceClient } from './inference-client.service';
import { MeteredJobs } from './metered-jobs.service';
import { ReplyHub } from './reply-hub.service';

/** Model jobs: submission to the per-model queues, the reply channel, and the metered request path around them. */
@Module({
  imports: [MeteringModule],
  providers: [ReplyHub, InferenceClient, GatewayMetrics, MeteredJobs, AdmissionControl],
  exports: [MeteredJobs, InferenceClient, GatewayMetrics, AdmissionControl, MeteringModule],
})
export class JobsModule {}
