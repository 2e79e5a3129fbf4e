import { Module } from '@nestjs/common';
import { ChunksModule } from '../chunks/chunks.module';
import { StorageModule } from '../database/storage.module';
import { IngestModule } from '../ingest/ingest.module';
import { VectorStoreFilesController } from './vector-store-files.controller';
import { VectorStoreFilesService } from './vector-store-files.service';
import { VectorStoresController } from './vector-stores.controller';
import { VectorStoresService } from './vector-stores.service';

/** OpenAI's Vector Stores API: stores, their files and file batches. */
@Module({
  imports: [StorageModule, ChunksModule, IngestModule],
  controllers: [VectorStoresController, VectorStoreFilesController],
  providers: [VectorStoresService, VectorStoreFilesService],
  exports: [VectorStoresService],
})
export class VectorStoresModule {}
