import { DynamicModule, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { ConfigModule, ConfigType } from '@nestjs/config';
import { LanceDbVectorStore } from './lancedb-vector-store';
import { QdrantVectorStore } from './qdrant-vector-store';
import type { VectorStore } from './vector-store';
import { readVectorStoreEnv, vectorStoreConfig } from './vector-store.config';
import { VECTOR_STORE } from './vector-store.constants';

/** The configured backend (`VECTOR_STORE`, else Qdrant when `QDRANT_URL` is set, else LanceDB). */
export function createVectorStore(cfg: ConfigType<typeof vectorStoreConfig>): VectorStore {
  switch (cfg.backend) {
    case 'lancedb':
      return new LanceDbVectorStore({ dir: cfg.lancedb.dir, annMinRows: cfg.lancedb.annMinRows });
    case 'qdrant':
      // readVectorStoreEnv refuses `qdrant` without a URL.
      return new QdrantVectorStore(cfg.qdrant!);
  }
}

@Injectable()
class VectorStoreCloser implements OnApplicationShutdown {
  constructor(@Inject(VECTOR_STORE) private readonly store: VectorStore) {}

  onApplicationShutdown(): Promise<void> {
    return this.store.close();
  }
}

/** The module `VectorStoreModule.withDefaults` returns (its own class: no providers of its own to merge with). */
@Module({})
export class VectorStoreWithDefaultsModule {}

/** Provides the `VectorStore` (inject with `@Inject(VECTOR_STORE)`), closed when the app shuts down. */
@Module({
  imports: [ConfigModule.forFeature(vectorStoreConfig)],
  providers: [
    { provide: VECTOR_STORE, useFactory: createVectorStore, inject: [vectorStoreConfig.KEY] },
    VectorStoreCloser,
  ],
  exports: [VECTOR_STORE],
})
export class VectorStoreModule {
  /** The same, with a service's own default directory (VECTOR_STORE_DIR still wins). */
  static withDefaults(defaults: { dir: string }): DynamicModule {
    return {
      module: VectorStoreWithDefaultsModule,
      providers: [
        { provide: VECTOR_STORE, useFactory: () => createVectorStore(readVectorStoreEnv(undefined, defaults)) },
        VectorStoreCloser,
      ],
      exports: [VECTOR_STORE],
    };
  }
}
