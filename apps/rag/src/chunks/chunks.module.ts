import { Inject, Module, OnModuleInit } from '@nestjs/common';
import { ReadinessRegistry, VECTOR_STORE, VectorStore, VectorStoreModule } from '@llmp/platform';
import { RAG_VECTOR_STORE_DIR_DEFAULT } from '../config/rag.config';
import { StorageModule } from '../database/storage.module';
import { ChunkIndex } from './chunk-index.service';

/** Chunk vectors in the vector store (VECTOR_STORE; LanceDB under VECTOR_STORE_DIR, default data/rag-vectors). */
@Module({
  imports: [StorageModule, VectorStoreModule.withDefaults({ dir: RAG_VECTOR_STORE_DIR_DEFAULT })],
  providers: [ChunkIndex],
  exports: [ChunkIndex],
})
export class ChunksModule implements OnModuleInit {
  constructor(
    private readonly readiness: ReadinessRegistry,
    @Inject(VECTOR_STORE) private readonly store: VectorStore,
  ) {}

  onModuleInit(): void {
    this.readiness.register('vector-store', () => this.store.ping());
  }
}
