import { registerAs } from '@nestjs/config';
import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import { z } from 'zod';
import { DEFAULT_QUEUE_PREFIX } from '@llmp/contracts';
import { parseEnv } from './env';

const PROXY_ADDR_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** True for an IP address, an IP/prefix CIDR range, or one of proxy-addr's named ranges. */
function isAddressOrRange(entry: string): boolean {
  if (PROXY_ADDR_NAMES.has(entry) || isIP(entry) !== 0) return true;
  const match = /^([^/]+)\/(\d{1,3})$/.exec(entry);
  if (!match) return false;
  const version = isIP(match[1]!);
  const prefix = Number(match[2]);
  return (version === 4 && prefix <= 32) || (version === 6 && prefix <= 128);
}

const trustedProxiesSchema = z
  .string()
  .default('')
  .transform((value, ctx) => {
    const entries = value
      .split(',')
      .map((e) => e.trim())
      .filter((e) => e.length > 0);
    for (const entry of entries) {
      if (!isAddressOrRange(entry)) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: `'${entry}' is not an IP address or CIDR range` });
      }
    }
    return entries;
  });

/** Settings every app shares: where Redis and Postgres are, log level, queue namespace. */
export function readPlatformEnv(env: NodeJS.ProcessEnv = process.env) {
  const cfg = parseEnv(
    {
      NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
      LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
      DATABASE_URL: z.string().url().default('postgres://postgres@127.0.0.1:5432/llmp'),
      // `{llmp}`: a hash tag, so every key of the platform lands in one Redis Cluster slot (BullMQ's scripts
      // touch several keys of a queue at once and fail with CROSSSLOT otherwise).
      QUEUE_PREFIX: z
        .string()
        .regex(/^(\{[a-z0-9-_]+\}|[a-z0-9-_]+)$/i, 'letters, digits, - and _, optionally in {braces} (a hash tag)')
        .default(DEFAULT_QUEUE_PREFIX),
      MODELS_CONFIG: z.string().min(1).default('infra/config/models.yaml'),
      INSTANCE_ID: z.string().min(1).optional(),
      /**
       * Proxies whose X-Forwarded-For is believed (comma-separated IPs or CIDR ranges, or proxy-addr's `loopback`,
       * `linklocal`, `uniquelocal`). Empty: none, the client IP is the socket's peer and X-Forwarded-For is ignored.
       */
      TRUSTED_PROXIES: trustedProxiesSchema,
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
    /** Fastify `trustProxy` addresses; empty: trust no proxy. */
    trustedProxies: cfg.TRUSTED_PROXIES,
  };
}

export const platformConfig = registerAs('platform', () => readPlatformEnv());
export type PlatformConfig = ReturnType<typeof readPlatformEnv>;
