import { registerAs } from '@nestjs/config';
import { z } from 'zod';
import {
  ConfigError,
  EmbeddingModelDefinition,
  envPort,
  loadModelsConfig,
  parseEnv,
  readPlatformEnv,
} from '@llmp/platform';

export function readEmbeddingWorkerEnv(env: NodeJS.ProcessEnv = process.env) {
  const cfg = parseEnv(
    {
      PORT: envPort.default(8011),
      /** Comma-separated embedding model ids this worker serves, or `*` for every embedding model in the config. */
      EMBEDDING_WORKER_MODELS: z.string().min(1).default('*'),
      /** How long a job's lock lives without renewal; a killed worker's job is retried after about this long. */
      JOB_LOCK_MS: z.coerce.number().int().min(1000).default(10000),
      JOB_ATTEMPTS_MAX_STALLED: z.coerce.number().int().min(0).default(1),
    },
    env,
    'embedding-worker',
  );
  const platform = readPlatformEnv(env);
  const config = loadModelsConfig(platform.modelsConfigPath, env);
  const wanted =
    cfg.EMBEDDING_WORKER_MODELS === '*' ? null : cfg.EMBEDDING_WORKER_MODELS.split(',').map((s) => s.trim());
  const unknown = wanted?.filter((id) => !config.models.some((m) => m.id === id)) ?? [];
  if (unknown.length) {
    throw new ConfigError(
      `EMBEDDING_WORKER_MODELS names models missing from ${platform.modelsConfigPath}: ${unknown.join(', ')}`,
    );
  }
  const notEmbedding = wanted?.filter((id) => config.models.some((m) => m.id === id && m.kind !== 'embedding')) ?? [];
  if (notEmbedding.length) {
    throw new ConfigError(
      `EMBEDDING_WORKER_MODELS names models that are not embedding models (kind: embedding): ${notEmbedding.join(', ')}`,
    );
  }
  const models = config.models.filter(
    (m): m is EmbeddingModelDefinition => m.kind === 'embedding' && (!wanted || wanted.includes(m.id)),
  );
  if (models.length === 0) {
    throw new ConfigError(`${platform.modelsConfigPath} declares no embedding model (kind: embedding) to serve`);
  }
  return {
    port: cfg.PORT,
    modelsDir: config.models_dir,
    models,
    lockDurationMs: cfg.JOB_LOCK_MS,
    maxStalledCount: cfg.JOB_ATTEMPTS_MAX_STALLED,
  };
}

export const embeddingWorkerConfig = registerAs('embeddingWorker', () => readEmbeddingWorkerEnv());
export type EmbeddingWorkerConfig = ReturnType<typeof readEmbeddingWorkerEnv>;
