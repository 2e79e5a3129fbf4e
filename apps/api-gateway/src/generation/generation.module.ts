import { Module } from '@nestjs/common';
import { ResponseCache } from '../cache/response-cache.service';
import { JobsModule } from '../jobs/jobs.module';
import { ProvidersModule } from '../providers/providers.module';
import { RetrievalModule } from '../retrieval/retrieval.module';
import { CompletionRunner } from './completion-runner.service';
import { Grounding } from './grounding.service';

/**
 * Text generation as OpenAI endpoints answer it: whole responses or SSE streams from inference jobs, optionally
 * grounded on the caller's vector stores.
 */
@Module({
  imports: [JobsModule, RetrievalModule, ProvidersModule],
  providers: [CompletionRunner, Grounding, ResponseCache],
  exports: [CompletionRunner, Grounding, ResponseCache, ProvidersModule],
})
export class GenerationModule {}
