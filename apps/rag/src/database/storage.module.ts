import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ChunkEntity } from '../chunks/chunk.entity';
import { FileEntity } from '../files/file.entity';
import { FileBatchEntity } from '../vector-stores/file-batch.entity';
import { VectorStoreFileEntity } from '../vector-stores/vector-store-file.entity';
import { VectorStoreEntity } from '../vector-stores/vector-store.entity';

export const RAG_ENTITIES = [FileEntity, VectorStoreEntity, VectorStoreFileEntity, FileBatchEntity, ChunkEntity];

/** The rag service's tables, for the feature modules' repositories. */
@Module({
  imports: [TypeOrmModule.forFeature(RAG_ENTITIES)],
  exports: [TypeOrmModule],
})
export class StorageModule {}
