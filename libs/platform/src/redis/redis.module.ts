import { Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { platformConfig } from '../config/platform.config';
import { RedisFactory } from './redis.factory';

@Global()
@Module({
  imports: [ConfigModule.forFeature(platformConfig)],
  providers: [RedisFactory],
  exports: [RedisFactory],
})
export class RedisModule {}
