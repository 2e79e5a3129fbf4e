import { registerAs } from '@nestjs/config';
import { createPrivateKey } from 'node:crypto';
import { z } from 'zod';
import { USERNAME_PATTERN } from '@llmp/contracts';
import { ConfigError, envPort, parseEnv } from '@llmp/platform';

/** The development-only admin password; start-up in production refuses it. */
export const DEV_ADMIN_PASSWORD = 'admin-change-me-123';
/** Where the development admin's API key is written by default (relative to the working directory). */
export const DEV_API_KEY_FILE = 'data/dev-api-key';

/** An unset variable and an empty one (`FOO=` in a compose file) mean the same: not configured. */
function optional<T extends z.ZodTypeAny>(schema: T) {
  return z.preprocess((v) => (v === '' ? undefined : v), schema.optional());
}

const positiveInt = z.coerce.number().int().positive();

/** An Ed25519 private key in PEM (PKCS#8); `\n` escapes are accepted, as env files often flatten newlines. */
const ed25519Pem = z
  .string()
  .transform((v) => v.replace(/\\n/g, '\n').trim())
  .superRefine((pem, ctx) => {
    try {
      const key = createPrivateKey(pem);
      if (key.asymmetricKeyType !== 'ed25519') {
        ctx.addIssue({ code: 'custom', message: `must be an Ed25519 key, got ${key.asymmetricKeyType}` });
      }
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be an Ed25519 private key in PEM (PKCS#8) format' });
    }
  });

export function readAuthEnv(env: NodeJS.ProcessEnv = process.env) {
  const cfg = parseEnv(
    {
      NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
      PORT: envPort.default(8001),
      AUTH_ACCESS_TOKEN_TTL_S: z.coerce.number().int().min(30).max(86_400).default(900),
      AUTH_REFRESH_TOKEN_TTL_S: z.coerce
        .number()
        .int()
        .min(60)
        .default(30 * 24 * 3600),
      /** Signing key; without it (development only) the newest key in the database is used, or one is generated. */
      AUTH_JWT_PRIVATE_KEY: optional(ed25519Pem),
      /** `kid` of AUTH_JWT_PRIVATE_KEY; default: its RFC 7638 thumbprint. */
      AUTH_JWT_KEY_ID: optional(z.string().min(1).max(128)),
      AUTH_JWT_ISSUER: z.string().min(1).default('llmp-auth'),
      AUTH_JWT_AUDIENCE: z.string().min(1).default('llmp'),
      AUTH_ADMIN_USERNAME: z.string().regex(USERNAME_PATTERN, 'must be a valid username').default('admin'),
      AUTH_ADMIN_PASSWORD: optional(z.string().min(1).max(256)),
      AUTH_DEFAULT_USER_RPM: positiveInt.default(600),
      AUTH_DEFAULT_USER_TPM: positiveInt.default(1_000_000),
      /** Per-key defaults for keys created without limits; unset = only the user's limits apply. */
      AUTH_DEFAULT_KEY_RPM: optional(positiveInt),
      AUTH_DEFAULT_KEY_TPM: optional(positiveInt),
      /** Failed logins per (username, client address) pair within 15 min before lock-outs start. */
      AUTH_LOGIN_MAX_FAILURES: z.coerce.number().int().min(1).max(1000).default(5),
      /** Per client address (IPv6: per /64), any username: higher, since many users may share one (an office NAT). */
      AUTH_LOGIN_MAX_FAILURES_PER_IP: z.coerce.number().int().min(1).max(100000).default(50),
      /**
       * Outside production: where a ready API key of the local admin is kept (0600), relative to the working
       * directory. Default `data/dev-api-key` in development, none in test mode; empty: none. Ignored in production.
       */
      AUTH_DEV_API_KEY_FILE: z.string().max(4096).optional(),
    },
    env,
    'auth',
  );

  if (cfg.NODE_ENV === 'production') {
    const problems: string[] = [];
    if (!cfg.AUTH_JWT_PRIVATE_KEY) {
      problems.push('  AUTH_JWT_PRIVATE_KEY: required in production (an Ed25519 private key in PEM)');
    }
    if (!cfg.AUTH_ADMIN_PASSWORD) {
      problems.push('  AUTH_ADMIN_PASSWORD: required in production');
    } else if (cfg.AUTH_ADMIN_PASSWORD === DEV_ADMIN_PASSWORD) {
      problems.push('  AUTH_ADMIN_PASSWORD: must not be the development default in production');
    }
    if (problems.length) throw new ConfigError(`Invalid auth configuration:\n${problems.join('\n')}`);
  }

  return {
    port: cfg.PORT,
    accessTokenTtlS: cfg.AUTH_ACCESS_TOKEN_TTL_S,
    refreshTokenTtlS: cfg.AUTH_REFRESH_TOKEN_TTL_S,
    jwtPrivateKeyPem: cfg.AUTH_JWT_PRIVATE_KEY ?? null,
    jwtKeyId: cfg.AUTH_JWT_KEY_ID ?? null,
    jwtIssuer: cfg.AUTH_JWT_ISSUER,
    jwtAudience: cfg.AUTH_JWT_AUDIENCE,
    adminUsername: cfg.AUTH_ADMIN_USERNAME,
    adminPassword: cfg.AUTH_ADMIN_PASSWORD ?? DEV_ADMIN_PASSWORD,
    defaultUserLimits: { rpm: cfg.AUTH_DEFAULT_USER_RPM, tpm: cfg.AUTH_DEFAULT_USER_TPM },
    defaultKeyLimits: { rpm: cfg.AUTH_DEFAULT_KEY_RPM ?? null, tpm: cfg.AUTH_DEFAULT_KEY_TPM ?? null },
    loginMaxFailures: cfg.AUTH_LOGIN_MAX_FAILURES,
    loginMaxFailuresPerIp: cfg.AUTH_LOGIN_MAX_FAILURES_PER_IP,
    devApiKeyFile: devApiKeyFile(cfg.NODE_ENV, cfg.AUTH_DEV_API_KEY_FILE),
  };
}

/** Never in production; by default only in development (tests must not overwrite a developer's key file). */
function devApiKeyFile(nodeEnv: 'development' | 'production' | 'test', value: string | undefined): string | null {
  if (nodeEnv === 'production') return null;
  const path = value ?? (nodeEnv === 'development' ? DEV_API_KEY_FILE : '');
  return path.trim() === '' ? null : path;
}

export const authConfig = registerAs('auth', () => readAuthEnv());
export type AuthConfig = ReturnType<typeof readAuthEnv>;
