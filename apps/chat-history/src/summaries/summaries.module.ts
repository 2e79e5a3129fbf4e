import { Module } from '@nestjs/common';
import { StorageModule } from '../database/storage.module';
import { SummariesController } from './summaries.controller';
import { SummariesService } from './summaries.service';
import { SummarizerService } from './summarizer.service';
import { SummaryModelClient } from './summary-model.client';
import { SummaryScheduler } from './summary-scheduler.service';

@Module({
  imports: [StorageModule],
  controllers: [SummariesController],
  providers: [SummariesService, SummaryScheduler, SummaryModelClient, SummarizerService],
  exports: [SummaryScheduler, SummarizerService],
})
export class SummariesModule {}
