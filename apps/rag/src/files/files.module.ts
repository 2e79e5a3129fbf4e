import { Module } from '@nestjs/common';
import { ChunksModule } from '../chunks/chunks.module';
import { StorageModule } from '../database/storage.module';
import { FilesController } from './files.controller';
import { FilesService } from './files.service';

/** OpenAI's Files API: uploads stored in Postgres. */
@Module({
  imports: [StorageModule, ChunksModule],
  controllers: [FilesController],
  providers: [FilesService],
  exports: [FilesService],
})
export class FilesModule {}
