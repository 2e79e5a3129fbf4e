import { Module } from '@nestjs/common';
import { StorageModule } from '../database/storage.module';
import { ItemsModule } from '../items/items.module';
import { MemoryModule } from '../memory/memory.module';
import { OutboxModule } from '../outbox/outbox.module';
import { ConversationsController } from './conversations.controller';
import { ConversationsService } from './conversations.service';
import { ExpiredConversationsPurger } from './expired-conversations.purger';

@Module({
  imports: [StorageModule, ItemsModule, MemoryModule, OutboxModule],
  controllers: [ConversationsController],
  providers: [ConversationsService, ExpiredConversationsPurger],
  exports: [ExpiredConversationsPurger],
})
export class ConversationsModule {}
