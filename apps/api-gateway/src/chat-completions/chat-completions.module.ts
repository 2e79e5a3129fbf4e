import { Module } from '@nestjs/common';
import { ConversationsModule } from '../conversations/conversations.module';
import { GenerationModule } from '../generation/generation.module';
import { ModelsModule } from '../models/models.module';
import { ChatCompletionsController } from './chat-completions.controller';
import { ChatCompletionsService } from './chat-completions.service';

@Module({
  imports: [ModelsModule, GenerationModule, ConversationsModule],
  controllers: [ChatCompletionsController],
  providers: [ChatCompletionsService],
})
export class ChatCompletionsModule {}
