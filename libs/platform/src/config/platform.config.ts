import { registerAs } from '@nestjs/config';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { DEFAULT_QUEUE_PREFIX } from '@llmp/contracts';
import { parseEnv } from './env';

/** Settings every app shares: where Redis and Postgres are, log level, queue namespace. */
export function readPlatformEnv(env: NodeJS.ProcessEnv = process.env) {
  const cfg = parseEnv(
    {
      NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
      LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
      DATABASE_URL: z.string().url().default('postgres://postgres@127.0.0.1:5432/llmp'),
      QUEUE_PREFIX: z
        .string()
        .regex(/^[a-z0-9-_]+$/i)
        .default(DEFAULT_QUEUE_PREFIX),
      MODELS_CONFIG: z.string().min(1).default('infra/config/models.yaml'),
      INSTANCE_ID: z.string().min(1).optional(),
    },
    env,
    'platform',
  );
  return {
    nodeEnv: cfg.NODE_ENV,
    logLevel: cfg.LOG_LEVEL,
    redisUrl: cfg.REDIS_URL,
    databaseUrl: cfg.DATABASE_URL,
    queuePrefix: cfg.QUEUE_PREFIX,
    modelsConfigPath: cfg.MODELS_CONFIG,
    /** Unique per process: names this replica's reply channel. */
    instanceId: cfg.INSTANCE_ID ?? randomUUID(),
  };
}

export const platformConfig = registerAs('platform', () => readPlatformEnv());
export type PlatformConfig = ReturnType<typeof readPlatformEnv>;
