import { Module } from '@nestjs/common';
import { GenerationModule } from '../generation/generation.module';
import { ModelsModule } from '../models/models.module';
import { MessagesController } from './messages.controller';
import { MessagesService } from './messages.service';

/** Anthropic's Messages API, inbound: `/v1/messages` and `/v1/messages/count_tokens` on the platform's chat models. */
@Module({
  imports: [ModelsModule, GenerationModule],
  controllers: [MessagesController],
  providers: [MessagesService],
})
export class MessagesModule {}
