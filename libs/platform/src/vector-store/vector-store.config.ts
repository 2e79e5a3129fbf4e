import { registerAs } from '@nestjs/config';
import { resolve } from 'node:path';
import { z } from 'zod';
import { parseEnv } from '../config/env';

/**
 * Which vector store backend a service uses. `lancedb` (the default) embeds LanceDB in the process over
 * VECTOR_STORE_DIR. A new backend adds its name here and its case in `createVectorStore`.
 */
export function readVectorStoreEnv(env: NodeJS.ProcessEnv = process.env, defaults: { dir?: string } = {}) {
  const cfg = parseEnv(
    {
      VECTOR_STORE: z.enum(['lancedb']).default('lancedb'),
      /**
       * LanceDB's directory (relative paths resolve against the working directory). Default `data/vectors`; a service
       * may choose another default (rag: `data/rag-vectors`), as LanceDB has one writing process per directory.
       */
      VECTOR_STORE_DIR: z
        .string()
        .min(1)
        .default(defaults.dir ?? 'data/vectors'),
    },
    env,
    'vector store',
  );
  return { backend: cfg.VECTOR_STORE, lancedb: { dir: resolve(cfg.VECTOR_STORE_DIR) } };
}

export const vectorStoreConfig = registerAs('vectorStore', () => readVectorStoreEnv());
export type VectorStoreConfig = ReturnType<typeof readVectorStoreEnv>;
