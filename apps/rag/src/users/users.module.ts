import { Module } from '@nestjs/common';
import { ChunksModule } from '../chunks/chunks.module';
import { StorageModule } from '../database/storage.module';
import { UserDataController } from './user-data.controller';
import { UserDataService } from './user-data.service';

/** DELETE /v1/me/data: everything of a user. */
@Module({
  imports: [StorageModule, ChunksModule],
  controllers: [UserDataController],
  providers: [UserDataService],
})
export class UsersModule {}
