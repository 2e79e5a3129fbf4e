import { Module } from '@nestjs/common';
import { StorageModule } from '../database/storage.module';
import { ItemsModule } from '../items/items.module';
import { MemoryModule } from '../memory/memory.module';
import { SummariesModule } from '../summaries/summaries.module';
import { ConversationsController } from './conversations.controller';
import { ConversationsService } from './conversations.service';
import { ExpiredConversationsPurger } from './expired-conversations.purger';

@Module({
  imports: [StorageModule, ItemsModule, SummariesModule, MemoryModule],
  controllers: [ConversationsController],
  providers: [ConversationsService, ExpiredConversationsPurger],
  exports: [ExpiredConversationsPurger],
})
export class ConversationsModule {}
