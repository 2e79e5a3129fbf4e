import { registerAs } from '@nestjs/config';
import { resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError, parseEnv } from '../config/env';

/**
 * Which vector store backend a service uses, in this order of precedence:
 * 1. `VECTOR_STORE` when set: `lancedb` or `qdrant` (so `VECTOR_STORE=lancedb` keeps LanceDB even where a
 *    `QDRANT_URL` is inherited from the environment);
 * 2. else `qdrant` when `QDRANT_URL` is set (compose and k8s set it);
 * 3. else `lancedb`, embedded in the process over VECTOR_STORE_DIR.
 * `qdrant` needs `QDRANT_URL` (`http://qdrant:6333`; a URL without a port means 6333, Qdrant's REST port) and takes
 * an optional `QDRANT_API_KEY`, which is a secret: it is never logged. A new backend adds its name here and its case
 * in `createVectorStore`.
 */
export function readVectorStoreEnv(env: NodeJS.ProcessEnv = process.env, defaults: { dir?: string } = {}) {
  const cfg = parseEnv(
    {
      VECTOR_STORE: z.enum(['lancedb', 'qdrant']).optional(),
      /**
       * LanceDB's directory (relative paths resolve against the working directory). Default `data/vectors`; a service
       * may choose another default (rag: `data/rag-vectors`), as LanceDB has one writing process per directory.
       */
      VECTOR_STORE_DIR: z
        .string()
        .min(1)
        .default(defaults.dir ?? 'data/vectors'),
      QDRANT_URL: z.preprocess(
        (v) => (typeof v === 'string' ? v.trim() || undefined : v),
        z
          .string()
          .regex(/^https?:\/\/[^/\s]+/, 'must be an http:// or https:// URL, e.g. http://qdrant:6333')
          .optional(),
      ),
      QDRANT_API_KEY: z
        .string()
        .optional()
        .transform((k) => k || undefined),
      /**
       * LanceDB builds an approximate (IVF-PQ) index on a collection once it holds this many vectors; 0 (the
       * default): never, search stays exact. Off by default because it does not always pay: at 115k 64-dim vectors
       * it answered in 10 ms against 35 ms exact (recall@10 0.996) on well-clustered vectors, but in 134 ms against
       * 38 ms exact on the rag benchmark's corpus, whose chunks all embed close together (bench/results/rag*.md).
       */
      VECTOR_STORE_ANN_MIN_ROWS: z.coerce.number().int().min(0).default(0),
      /** Milliseconds one Qdrant request may take. */
      QDRANT_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
    },
    env,
    'vector store',
  );
  const backend = cfg.VECTOR_STORE ?? (cfg.QDRANT_URL ? 'qdrant' : 'lancedb');
  if (backend === 'qdrant' && !cfg.QDRANT_URL) {
    throw new ConfigError('Invalid vector store configuration:\n  QDRANT_URL: required when VECTOR_STORE=qdrant');
  }
  return {
    backend,
    lancedb: { dir: resolve(cfg.VECTOR_STORE_DIR), annMinRows: cfg.VECTOR_STORE_ANN_MIN_ROWS },
    qdrant: cfg.QDRANT_URL
      ? { url: cfg.QDRANT_URL, apiKey: cfg.QDRANT_API_KEY, timeoutMs: cfg.QDRANT_TIMEOUT_MS }
      : undefined,
  };
}

export const vectorStoreConfig = registerAs('vectorStore', () => readVectorStoreEnv());
export type VectorStoreConfig = ReturnType<typeof readVectorStoreEnv>;
