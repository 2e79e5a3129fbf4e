import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ChunkEntity } from '../chunks/chunk.entity';
import { ChunksRepository } from '../chunks/chunks.repository';
import { VectorDeletionEntity } from '../chunks/vector-deletion.entity';
import { VectorDeletionsRepository } from '../chunks/vector-deletions.repository';
import { FileEntity } from '../files/file.entity';
import { FilesRepository } from '../files/files.repository';
import { FileBatchEntity } from '../vector-stores/file-batch.entity';
import { VectorStoreFileEntity } from '../vector-stores/vector-store-file.entity';
import { VectorStoreFilesRepository } from '../vector-stores/vector-store-files.repository';
import { VectorStoreEntity } from '../vector-stores/vector-store.entity';
import { VectorStoresRepository } from '../vector-stores/vector-stores.repository';

export const RAG_ENTITIES = [
  FileEntity,
  VectorStoreEntity,
  VectorStoreFileEntity,
  FileBatchEntity,
  ChunkEntity,
  VectorDeletionEntity,
];

const REPOSITORIES = [
  FilesRepository,
  VectorStoresRepository,
  VectorStoreFilesRepository,
  ChunksRepository,
  VectorDeletionsRepository,
];

/** The rag service's tables and their repositories. */
@Module({
  imports: [TypeOrmModule.forFeature(RAG_ENTITIES)],
  providers: REPOSITORIES,
  exports: REPOSITORIES,
})
export class StorageModule {}
