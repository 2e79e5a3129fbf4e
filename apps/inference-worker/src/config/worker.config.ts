import { registerAs } from '@nestjs/config';
import { z } from 'zod';
import { ModelDefinition, envPort, loadModelsConfig, parseEnv, readPlatformEnv } from '@llmp/platform';

export function readWorkerEnv(env: NodeJS.ProcessEnv = process.env) {
  const cfg = parseEnv(
    {
      PORT: envPort.default(8010),
      /** Comma-separated model ids this worker serves, or `*` for every model in the models config. */
      WORKER_MODELS: z.string().min(1).default('*'),
      /** Overrides every served model's `gpu` setting: pins this worker to a CPU or a CUDA pool. */
      WORKER_GPU: z.enum(['auto', 'cuda', 'vulkan', 'false']).optional(),
      /** How long a job's lock lives without renewal; a killed worker's job is retried after about this long. */
      JOB_LOCK_MS: z.coerce.number().int().min(1000).default(10000),
      JOB_ATTEMPTS_MAX_STALLED: z.coerce.number().int().min(0).default(1),
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
  const gpuOverride: ModelDefinition['gpu'] | undefined =
    cfg.WORKER_GPU === undefined ? undefined : cfg.WORKER_GPU === 'false' ? false : cfg.WORKER_GPU;
  return {
    port: cfg.PORT,
    modelsDir: models.models_dir,
    models: models.models
      .filter((m) => !wanted || wanted.includes(m.id))
      .map((m): ModelDefinition => (gpuOverride === undefined ? m : { ...m, gpu: gpuOverride })),
    lockDurationMs: cfg.JOB_LOCK_MS,
    maxStalledCount: cfg.JOB_ATTEMPTS_MAX_STALLED,
  };
}

export const workerConfig = registerAs('worker', () => readWorkerEnv());
export type WorkerConfig = ReturnType<typeof readWorkerEnv>;
