import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { RetrievalModule } from '../retrieval/retrieval.module';
import { ChatHistoryClient } from './chat-history.client';
import { ConversationsController } from './conversations.controller';
import { MeController } from './me.controller';
import { StatefulChat } from './stateful-chat.service';

/** OpenAI Conversations API over the chat-history service, stateful prompts, and the caller's data deletion. */
@Module({
  imports: [AuthModule, RetrievalModule],
  controllers: [ConversationsController, MeController],
  providers: [ChatHistoryClient, StatefulChat],
  exports: [ChatHistoryClient, StatefulChat],
})
export class ConversationsModule {}
