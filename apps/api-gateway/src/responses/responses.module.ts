import { Module } from '@nestjs/common';
import { RetrievalModule } from '../retrieval/retrieval.module';
import { ConversationsModule } from '../conversations/conversations.module';
import { GenerationModule } from '../generation/generation.module';
import { ModelsModule } from '../models/models.module';
import { ResponsesController } from './responses.controller';
import { ResponsesService } from './responses.service';

@Module({
  imports: [ModelsModule, GenerationModule, ConversationsModule, RetrievalModule],
  controllers: [ResponsesController],
  providers: [ResponsesService],
})
export class ResponsesModule {}
