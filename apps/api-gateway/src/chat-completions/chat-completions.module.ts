import { Module } from '@nestjs/common';
import { RetrievalModule } from '../retrieval/retrieval.module';
import { ConversationsModule } from '../conversations/conversations.module';
import { FunctionsModule } from '../functions/functions.module';
import { GenerationModule } from '../generation/generation.module';
import { ModelsModule } from '../models/models.module';
import { ChatCompletionsController } from './chat-completions.controller';
import { ChatCompletionsService } from './chat-completions.service';
import { ServerToolLoop } from './server-tool-loop.service';

@Module({
  imports: [ModelsModule, GenerationModule, ConversationsModule, FunctionsModule, RetrievalModule],
  controllers: [ChatCompletionsController],
  providers: [ChatCompletionsService, ServerToolLoop],
})
export class ChatCompletionsModule {}
