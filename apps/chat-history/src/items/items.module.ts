import { Module } from '@nestjs/common';
import { StorageModule } from '../database/storage.module';
import { MemoryModule } from '../memory/memory.module';
import { OutboxModule } from '../outbox/outbox.module';
import { SummariesModule } from '../summaries/summaries.module';
import { ItemsAppender } from './items-appender.service';
import { ItemsController } from './items.controller';
import { ItemsService } from './items.service';

@Module({
  imports: [StorageModule, SummariesModule, MemoryModule, OutboxModule],
  controllers: [ItemsController],
  providers: [ItemsAppender, ItemsService],
  exports: [ItemsAppender],
})
export class ItemsModule {}
