import { Module } from '@nestjs/common';
import { ConversationsModule } from '../conversations/conversations.module';
import { MemoryModule } from '../memory/memory.module';
import { OutboxModule } from '../outbox/outbox.module';
import { SummariesModule } from '../summaries/summaries.module';
import { ChatHistoryProcessor } from './chat-history.processor';

@Module({
  imports: [ConversationsModule, SummariesModule, MemoryModule, OutboxModule],
  providers: [ChatHistoryProcessor],
})
export class JobsModule {}
