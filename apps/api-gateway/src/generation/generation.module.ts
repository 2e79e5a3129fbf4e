import { Module } from '@nestjs/common';
import { JobsModule } from '../jobs/jobs.module';
import { CompletionRunner } from './completion-runner.service';

/** Text generation as OpenAI endpoints answer it: whole responses or SSE streams from inference jobs. */
@Module({
  imports: [JobsModule],
  providers: [CompletionRunner],
  exports: [CompletionRunner],
})
export class GenerationModule {}
