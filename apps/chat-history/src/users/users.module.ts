import { Module } from '@nestjs/common';
import { StorageModule } from '../database/storage.module';
import { MemoryModule } from '../memory/memory.module';
import { UserHistoryController } from './user-history.controller';
import { UserHistoryService } from './user-history.service';

@Module({
  imports: [StorageModule, MemoryModule],
  controllers: [UserHistoryController],
  providers: [UserHistoryService],
})
export class UsersModule {}
