import { Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { ConfigModule, ConfigType } from '@nestjs/config';
import { LanceDbVectorStore } from './lancedb-vector-store';
import type { VectorStore } from './vector-store';
import { vectorStoreConfig } from './vector-store.config';
import { VECTOR_STORE } from './vector-store.constants';

/** The configured backend (`VECTOR_STORE`). */
export function createVectorStore(cfg: ConfigType<typeof vectorStoreConfig>): VectorStore {
  switch (cfg.backend) {
    case 'lancedb':
      return new LanceDbVectorStore({ dir: cfg.lancedb.dir });
  }
}

@Injectable()
class VectorStoreCloser implements OnApplicationShutdown {
  constructor(@Inject(VECTOR_STORE) private readonly store: VectorStore) {}

  onApplicationShutdown(): Promise<void> {
    return this.store.close();
  }
}

/** Provides the `VectorStore` (inject with `@Inject(VECTOR_STORE)`), closed when the app shuts down. */
@Module({
  imports: [ConfigModule.forFeature(vectorStoreConfig)],
  providers: [
    { provide: VECTOR_STORE, useFactory: createVectorStore, inject: [vectorStoreConfig.KEY] },
    VectorStoreCloser,
  ],
  exports: [VECTOR_STORE],
})
export class VectorStoreModule {}
