import { Module } from '@nestjs/common';
import { GenerationModule } from '../generation/generation.module';
import { ModelsModule } from '../models/models.module';
import { CompletionsController } from './completions.controller';
import { CompletionsService } from './completions.service';

@Module({
  imports: [ModelsModule, GenerationModule],
  controllers: [CompletionsController],
  providers: [CompletionsService],
})
export class CompletionsModule {}
