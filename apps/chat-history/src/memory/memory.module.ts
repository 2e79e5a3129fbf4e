import { Inject, Module, OnModuleInit } from '@nestjs/common';
import { ReadinessRegistry, VECTOR_STORE, VectorStore, VectorStoreModule } from '@llmp/platform';
import { StorageModule } from '../database/storage.module';
import { MemoryEmbedder } from './memory-embedder.service';
import { MemoryEraser } from './memory-eraser.service';
import { MemoryIndexer } from './memory-indexer.service';
import { MemoryRecall } from './memory-recall.service';
import { MemoryScheduler } from './memory-scheduler.service';

/** Conversation memory: message embeddings in the vector store, recall by meaning, deletion with their sources. */
@Module({
  imports: [StorageModule, VectorStoreModule],
  providers: [MemoryEmbedder, MemoryScheduler, MemoryIndexer, MemoryRecall, MemoryEraser],
  exports: [MemoryScheduler, MemoryIndexer, MemoryRecall, MemoryEraser],
})
export class MemoryModule implements OnModuleInit {
  constructor(
    private readonly readiness: ReadinessRegistry,
    @Inject(VECTOR_STORE) private readonly store: VectorStore,
  ) {}

  onModuleInit(): void {
    this.readiness.register('vector-store', () => this.store.ping());
  }
}
