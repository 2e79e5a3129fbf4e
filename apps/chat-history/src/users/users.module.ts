import { Module } from '@nestjs/common';
import { StorageModule } from '../database/storage.module';
import { UserHistoryController } from './user-history.controller';
import { UserHistoryService } from './user-history.service';

@Module({
  imports: [StorageModule],
  controllers: [UserHistoryController],
  providers: [UserHistoryService],
})
export class UsersModule {}
