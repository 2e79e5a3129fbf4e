import { Module } from '@nestjs/common';
import { GenerationModule } from '../generation/generation.module';
import { StatusController } from './status.controller';

/** The operator's `GET /v1/status`. */
@Module({
  imports: [GenerationModule],
  controllers: [StatusController],
})
export class StatusModule {}
