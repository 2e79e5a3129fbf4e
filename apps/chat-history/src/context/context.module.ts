import { Module } from '@nestjs/common';
import { StorageModule } from '../database/storage.module';
import { ContextController } from './context.controller';
import { ContextService } from './context.service';

@Module({
  imports: [StorageModule],
  controllers: [ContextController],
  providers: [ContextService],
})
export class ContextModule {}
