import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ConversationEntity } from '../conversations/conversation.entity';
import { ConversationsRepository } from '../conversations/conversations.repository';
import { ConversationItemEntity } from '../items/conversation-item.entity';
import { ItemsRepository } from '../items/items.repository';
import { JobOutboxEntity } from '../outbox/job-outbox.entity';
import { JobOutboxRepository } from '../outbox/job-outbox.repository';
import { StoredResponseEntity } from '../responses/stored-response.entity';
import { ResponsesRepository } from '../responses/responses.repository';
import { ConversationSummaryEntity } from '../summaries/conversation-summary.entity';
import { SummariesRepository } from '../summaries/summaries.repository';

export const CHAT_HISTORY_ENTITIES = [
  ConversationEntity,
  ConversationItemEntity,
  ConversationSummaryEntity,
  StoredResponseEntity,
  JobOutboxEntity,
];

/** The service's repositories (the only place with queries), shared by its feature modules. */
@Module({
  imports: [TypeOrmModule.forFeature(CHAT_HISTORY_ENTITIES)],
  providers: [ConversationsRepository, ItemsRepository, SummariesRepository, ResponsesRepository, JobOutboxRepository],
  exports: [ConversationsRepository, ItemsRepository, SummariesRepository, ResponsesRepository, JobOutboxRepository],
})
export class StorageModule {}
