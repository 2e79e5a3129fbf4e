import { registerAs } from '@nestjs/config';
import { z } from 'zod';
import { RAG_FILE_HARD_MAX_BYTES } from '@llmp/contracts';
import {
  ConfigError,
  EmbeddingModelDefinition,
  envPort,
  loadModelsConfig,
  parseEnv,
  readPlatformEnv,
} from '@llmp/platform';

/** The rag service's own default vector directory: LanceDB has one writing process per directory. */
export const RAG_VECTOR_STORE_DIR_DEFAULT = 'data/rag-vectors';

export function readRagEnv(env: NodeJS.ProcessEnv = process.env) {
  const cfg = parseEnv(
    {
      PORT: envPort.default(8003),
      /** Embedding model id (from the models config) that new vector stores embed with, through `embedding-<model>`. */
      RAG_EMBEDDING_MODEL: z.string().min(1).default('potion-base-2m'),
      /** Largest upload (bytes); beyond it an upload is refused with `payload_too_large` (HTTP 413). */
      RAG_FILE_MAX_BYTES: z.coerce
        .number()
        .int()
        .min(1)
        .max(RAG_FILE_HARD_MAX_BYTES)
        .default(32 * 1024 * 1024),
      /** Ingest jobs (vector store files) one replica runs at once. */
      RAG_INGEST_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
      /** Attempts of an ingest job on transient failures (embedding worker away, Postgres down) before `server_error`. */
      RAG_INGEST_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(5),
      /** Texts per embedding job while ingesting. */
      RAG_EMBED_BATCH: z.coerce.number().int().min(1).max(2048).default(64),
      /** Longest wait for one embedding job (ingest batch or search query). */
      RAG_EMBED_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(60_000),
      /**
       * How often in-progress vector store files are checked for a live ingest job (one whose enqueue was lost to a
       * Redis failure after the commit, or that Redis lost, is enqueued again); also the grace an attach has.
       */
      RAG_INGEST_SWEEP_INTERVAL_MS: z.coerce.number().int().min(100).max(600_000).default(5000),
      /** The `openai-poll-after-ms` hint for clients polling in-progress files and batches. */
      RAG_POLL_AFTER_MS: z.coerce.number().int().min(50).max(60_000).default(500),
      /**
       * How often (seconds) expired vector stores and files are deleted with their chunks and vectors, and failed
       * vector deletions retried (leased: several replicas share the work).
       */
      RAG_PURGE_INTERVAL_S: z.coerce.number().min(0.1).max(86_400).default(60),
      /** Candidates each ranking (vector, keyword) contributes to the fusion, per query. */
      RAG_SEARCH_CANDIDATES: z.coerce.number().int().min(10).max(1000).default(100),
    },
    env,
    'rag',
  );
  return {
    port: cfg.PORT,
    embeddingModel: cfg.RAG_EMBEDDING_MODEL,
    fileMaxBytes: cfg.RAG_FILE_MAX_BYTES,
    ingest: {
      concurrency: cfg.RAG_INGEST_CONCURRENCY,
      attempts: cfg.RAG_INGEST_ATTEMPTS,
      embedBatch: cfg.RAG_EMBED_BATCH,
      sweepIntervalMs: cfg.RAG_INGEST_SWEEP_INTERVAL_MS,
    },
    purgeIntervalMs: Math.round(cfg.RAG_PURGE_INTERVAL_S * 1000),
    embedTimeoutMs: cfg.RAG_EMBED_TIMEOUT_MS,
    pollAfterMs: cfg.RAG_POLL_AFTER_MS,
    searchCandidates: cfg.RAG_SEARCH_CANDIDATES,
  };
}

export const ragConfig = registerAs('rag', () => readRagEnv());
export type RagConfig = ReturnType<typeof readRagEnv>;

/** The definition of an embedding model in the models config (MODELS_CONFIG); a missing one stops start-up. */
export function readEmbeddingModel(
  modelId: string,
  env: NodeJS.ProcessEnv = process.env,
): { model: EmbeddingModelDefinition; modelsDir: string } {
  const path = readPlatformEnv(env).modelsConfigPath;
  const config = loadModelsConfig(path, env);
  const model = config.models.find((m) => m.id === modelId);
  if (!model || model.kind !== 'embedding') {
    throw new ConfigError(
      `Invalid rag configuration:\n  RAG_EMBEDDING_MODEL: ${modelId} is not an embedding model of ${path}`,
    );
  }
  return { model, modelsDir: config.models_dir };
}
