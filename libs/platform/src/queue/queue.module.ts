import { Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { platformConfig } from '../config/platform.config';
import { JobProducer } from './job-producer';

@Global()
@Module({
  imports: [ConfigModule.forFeature(platformConfig)],
  providers: [JobProducer],
  exports: [JobProducer],
})
export class QueueModule {}
