import { Module } from '@nestjs/common';
import { RetrievalModule } from '../retrieval/retrieval.module';
import { FileBatchesController } from './file-batches.controller';
import { VectorStoreFilesController } from './vector-store-files.controller';
import { VectorStoresController } from './vector-stores.controller';

/** OpenAI's Vector Stores API (`/v1/vector_stores`: stores, their files, file batches, search) over rag. */
@Module({
  imports: [RetrievalModule],
  controllers: [VectorStoresController, VectorStoreFilesController, FileBatchesController],
})
export class VectorStoresModule {}
