import { registerAs } from '@nestjs/config';
import { z } from 'zod';
import { LlmModelDefinition, envPort, loadModelsConfig, parseEnv, readPlatformEnv } from '@llmp/platform';

export function readWorkerEnv(env: NodeJS.ProcessEnv = process.env) {
  const cfg = parseEnv(
    {
      PORT: envPort.default(8010),
      /** Comma-separated model ids this worker serves, or `*` for every model in the models config. */
      WORKER_MODELS: z.string().min(1).default('*'),
      /** Overrides every served model's `gpu` setting: pins this worker to a CPU or a CUDA pool. */
      WORKER_GPU: z.enum(['auto', 'cuda', 'vulkan', 'false']).optional(),
      /** Overrides every served model's `engine` (node-llama-cpp or llama-server). */
      WORKER_ENGINE: z.enum(['node-llama-cpp', 'llama-server']).optional(),
      /**
       * The llama-server binary for models with `engine: llama-server` (build it from node-llama-cpp's bundled
       * llama.cpp source, see README; a CUDA build for GPU nodes).
       */
      LLAMA_SERVER_BIN: z.string().min(1).optional(),
      /**
       * How long a job's lock lives without renewal (renewed every half of it); a killed worker's job is found
       * stalled and retried within this plus a quarter of it.
       */
      JOB_LOCK_MS: z.coerce.number().int().min(1000).default(4000),
      /** On SIGTERM or recycling, how long running jobs may take to finish before they are handed back. */
      WORKER_DRAIN_TIMEOUT_MS: z.coerce.number().int().min(0).default(25000),
      /** Recycle (drain and exit, to be restarted by the supervisor) after this many jobs; 0: never. */
      WORKER_RECYCLE_AFTER_JOBS: z.coerce.number().int().min(0).default(0),
      /** Recycle once the resident memory exceeds this many MiB (checked after each job); 0: never. */
      WORKER_RECYCLE_RSS_MB: z.coerce.number().int().min(0).default(0),
      JOB_ATTEMPTS_MAX_STALLED: z.coerce.number().int().min(0).default(1),
      /** Streamed text after the first token is sent at most this often (0: every event-loop turn). */
      STREAM_FLUSH_MS: z.coerce.number().int().min(0).max(1000).default(16),
    },
    env,
    'inference-worker',
  );
  const platform = readPlatformEnv(env);
  const models = loadModelsConfig(platform.modelsConfigPath, env);
  const wanted = cfg.WORKER_MODELS === '*' ? null : cfg.WORKER_MODELS.split(',').map((s) => s.trim());
  const unknown = wanted?.filter((id) => !models.models.some((m) => m.id === id)) ?? [];
  if (unknown.length) {
    throw new Error(`WORKER_MODELS names models missing from ${platform.modelsConfigPath}: ${unknown.join(', ')}`);
  }
  // Embedding models are the embedding worker's.
  const notLlm = wanted?.filter((id) => models.models.some((m) => m.id === id && m.kind !== 'llm')) ?? [];
  if (notLlm.length) {
    throw new Error(`WORKER_MODELS names embedding models, served by the embedding worker: ${notLlm.join(', ')}`);
  }
  const gpuOverride: LlmModelDefinition['gpu'] | undefined =
    cfg.WORKER_GPU === undefined ? undefined : cfg.WORKER_GPU === 'false' ? false : cfg.WORKER_GPU;
  return {
    port: cfg.PORT,
    modelsDir: models.models_dir,
    models: models.models
      .filter((m): m is LlmModelDefinition => m.kind === 'llm' && (!wanted || wanted.includes(m.id)))
      .map((m): LlmModelDefinition => ({
        ...m,
        ...(gpuOverride === undefined ? {} : { gpu: gpuOverride }),
        ...(cfg.WORKER_ENGINE ? { engine: cfg.WORKER_ENGINE } : {}),
      })),
    llamaServerBin: cfg.LLAMA_SERVER_BIN ?? null,
    lockDurationMs: cfg.JOB_LOCK_MS,
    maxStalledCount: cfg.JOB_ATTEMPTS_MAX_STALLED,
    drainTimeoutMs: cfg.WORKER_DRAIN_TIMEOUT_MS,
    recycleAfterJobs: cfg.WORKER_RECYCLE_AFTER_JOBS,
    recycleRssBytes: cfg.WORKER_RECYCLE_RSS_MB * 2 ** 20,
    streamFlushMs: cfg.STREAM_FLUSH_MS,
  };
}

export const workerConfig = registerAs('worker', () => readWorkerEnv());
export type WorkerConfig = ReturnType<typeof readWorkerEnv>;
