import { Module } from '@nestjs/common';
import { StorageModule } from '../database/storage.module';
import { MemoryModule } from '../memory/memory.module';
import { ContextController } from './context.controller';
import { ContextService } from './context.service';

@Module({
  imports: [StorageModule, MemoryModule],
  controllers: [ContextController],
  providers: [ContextService],
})
export class ContextModule {}
