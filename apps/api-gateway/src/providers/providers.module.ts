import { Module } from '@nestjs/common';
import { JobsModule } from '../jobs/jobs.module';
import { ModelsModule } from '../models/models.module';
import { Router } from '../routing/router.service';
import { ProviderGateway } from './provider-gateway.service';

/**
 * Where generations go: the router picks a request's targets (local pools, remote OpenAI-compatible upstreams)
 * under the sensitivity rules, and the provider gateway submits to them with fallbacks and circuit breakers.
 */
@Module({
  imports: [JobsModule, ModelsModule],
  providers: [Router, ProviderGateway],
  exports: [Router, ProviderGateway],
})
export class ProvidersModule {}
