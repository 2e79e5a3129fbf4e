import { registerAs } from '@nestjs/config';
import { z } from 'zod';
import { RAG_FILE_HARD_MAX_BYTES } from '@llmp/contracts';
import { ConfigError, envBoolean, envPort, loadModelsConfig, parseEnv, readPlatformEnv } from '@llmp/platform';

/** An MCP server whose tools the gateway offers as server functions. */
const McpServerSchema = z.union([
  z.object({ name: z.string().min(1), url: z.string().url() }).strict(),
  z
    .object({
      name: z.string().min(1),
      command: z.string().min(1),
      args: z.array(z.string()).default([]),
      env: z.record(z.string()).optional(),
    })
    .strict(),
]);
export type McpServerConfig = z.infer<typeof McpServerSchema>;

const McpServersSchema = z
  .string()
  .default('[]')
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON array' });
      return z.NEVER;
    }
  })
  .pipe(z.array(McpServerSchema));

export function readGatewayEnv(env: NodeJS.ProcessEnv = process.env) {
  const cfg = parseEnv(
    {
      PORT: envPort.default(8000),
      HOST: z.string().default('0.0.0.0'),
      BODY_LIMIT_BYTES: z.coerce
        .number()
        .int()
        .min(1024)
        .default(4 * 1024 * 1024),
      /** Longest a request may wait for its job (queue time included) before the gateway gives up with a 504. */
      JOB_TIMEOUT_MS: z.coerce.number().int().min(1000).default(600000),
      /** Attempts per job: a second attempt runs when a worker dies mid-job. */
      JOB_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(2),
      /** Requests per minute per client IP on the routes that need no credential (register, token, refresh). */
      ANON_IP_RPM: z.coerce.number().int().min(1).default(60),
      AUTH_RPC_TIMEOUT_MS: z.coerce.number().int().min(100).default(5000),
      /** How long a verified key or user is trusted without asking the auth service (revocations are pushed). */
      PRINCIPAL_CACHE_TTL_MS: z.coerce.number().int().min(0).default(30000),
      /**
       * false: no credential needed, every caller is the local admin and no limits apply (a single-user local
       * server, or a baseline for benchmarks). Refused in production.
       */
      AUTH_REQUIRED: envBoolean.default('true'),
      /** How long Redis may be unreachable before requests still waiting in the queue get a 503. */
      REDIS_OUTAGE_FAIL_MS: z.coerce.number().int().min(500).default(5000),
      /** Failed authentications (bad key or token) per client IP per minute before the IP gets 429s. */
      AUTH_FAILURES_PER_IP_PER_MIN: z.coerce.number().int().min(1).default(30),
      /** How long the auth service's public keys are trusted before they are fetched again. */
      AUTH_JWKS_TTL_MS: z.coerce.number().int().min(1000).default(300000),
      AUTH_JWT_ISSUER: z.string().min(1).default('llmp-auth'),
      AUTH_JWT_AUDIENCE: z.string().min(1).default('llmp'),
      /**
       * The built web console (`dist/web-console`, from `npm run build`), served at `/`; empty turns it off. A
       * missing folder is logged and the API runs without it.
       */
      WEB_CONSOLE_DIR: z.string().optional(),
      /** Largest upload `POST /v1/files` accepts (413 beyond it); the rag service enforces the same setting. */
      RAG_FILE_MAX_BYTES: z.coerce
        .number()
        .int()
        .min(1)
        .max(RAG_FILE_HARD_MAX_BYTES)
        .default(32 * 1024 * 1024),
      /** Longest the gateway waits for the rag service (a search embeds its query first), uploads aside. */
      RAG_RPC_TIMEOUT_MS: z.coerce.number().int().min(100).default(10000),
      /** Longest the gateway waits for the rag service to store an upload (it crosses Redis in base64). */
      RAG_UPLOAD_TIMEOUT_MS: z.coerce.number().int().min(100).default(60000),
      /** `openai-poll-after-ms` on in-progress vector store files and batches: how often SDK poll helpers ask. */
      RAG_POLL_AFTER_MS: z.coerce.number().int().min(50).max(60000).default(500),
      /**
       * Base URL of a weather provider speaking wttr.in's JSON API (`GET {url}/{location}?format=j1`), e.g.
       * https://wttr.in. Unset: the get_weather function answers with a tool error, never an invented value.
       */
      WEATHER_PROVIDER_URL: z.string().url().optional(),
      /** Longest a built-in function's HTTP call may take. */
      FUNCTION_TIMEOUT_MS: z.coerce.number().int().min(100).default(5000),
      /** Model calls one `tool_execution: server` request may make (each runs the calls of the one before). */
      TOOL_MAX_STEPS: z.coerce.number().int().min(1).max(20).default(5),
      /**
       * MCP servers whose tools are server functions, as JSON: `[{"name":"files","command":"node","args":["srv.js"]},
       * {"name":"search","url":"http://mcp:3000/mcp"}]` (stdio or streamable HTTP).
       */
      MCP_SERVERS: McpServersSchema,
      /**
       * What personal data found in a request does to its sensitivity: raise it to `internal` (default: remote
       * models without `max_sensitivity: internal` are skipped), to `confidential` (local models only), or `none`.
       */
      PII_SENSITIVITY: z.enum(['internal', 'confidential', 'none']).default('internal'),
      /** `remote` (default): redact personal data in prompts before they reach a remote provider; `off`: never. */
      PII_REDACT: z.enum(['remote', 'off']).default('remote'),
      /** `true`: personal data in answers is replaced by its type too (the seeds' output sanitization). */
      PII_REDACT_OUTPUT: z
        .enum(['true', 'false'])
        .default('false')
        .transform((v) => v === 'true'),
      /** Region for phone numbers without a country code (ISO 3166 alpha-2); unset: only +-prefixed numbers. */
      PII_PHONE_REGION: z.string().length(2).optional(),
      /** Extra PII patterns as JSON, name → regular expression: `{"employee_id": "EMP-\\d{6}"}`. */
      PII_PATTERNS: z
        .string()
        .optional()
        .transform((v, ctx) => {
          if (!v) return {};
          try {
            const parsed = z.record(z.string()).parse(JSON.parse(v));
            for (const src of Object.values(parsed)) new RegExp(src, 'g');
            return parsed;
          } catch (err) {
            ctx.addIssue({ code: 'custom', message: `PII_PATTERNS: ${(err as Error).message}` });
            return z.NEVER;
          }
        }),
      /** Seconds a deterministic request's answer is kept in the response cache; 0 (default) turns it off. */
      RESPONSE_CACHE_TTL_S: z.coerce.number().int().min(0).default(0),
      /** `true`: one cache for all users (identical requests share answers); default: each user has their own. */
      RESPONSE_CACHE_SHARED: z
        .enum(['true', 'false'])
        .default('false')
        .transform((v) => v === 'true'),
      /** Failures before first token in a row that open an upstream's circuit, and how long it stays open. */
      CIRCUIT_FAILURES: z.coerce.number().int().min(1).default(5),
      CIRCUIT_COOLDOWN_MS: z.coerce.number().int().min(100).default(30_000),
      /** Batch API: whether this replica runs batches (the `batch` queue's worker); any replica may accept them. */
      BATCH_RUNNER: envBoolean.default('true'),
      /** Batches one replica runs at once. */
      BATCH_RUNNER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
      /** Lines of one batch in flight at once (each a job on the model's queue). */
      BATCH_LINE_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(4),
      /** BullMQ priority of batch lines' jobs (1 highest … 2,097,152); interactive jobs have none and go first. */
      BATCH_PRIORITY: z.coerce.number().int().min(1).max(2_097_152).default(100),
      /** Most requests (lines) in one batch input file (OpenAI's limit). */
      BATCH_MAX_LINES: z.coerce.number().int().min(1).max(50_000).default(50_000),
      /** Longest one line's job may take (queue time included) before the line fails with a timeout. */
      BATCH_LINE_TIMEOUT_MS: z.coerce.number().int().min(1000).default(600_000),
    },
    env,
    'api-gateway',
  );
  const platform = readPlatformEnv(env);
  if (!cfg.AUTH_REQUIRED && platform.nodeEnv === 'production') {
    throw new ConfigError('AUTH_REQUIRED=false is refused when NODE_ENV=production');
  }
  const models = loadModelsConfig(platform.modelsConfigPath, env);
  for (const m of models.models) {
    if (m.kind !== 'remote') continue;
    const missing = m.endpoints.find((e) => e.api_key_env && !env[e.api_key_env]);
    if (missing) throw new ConfigError(`model ${m.id}: ${missing.api_key_env} (its api_key_env) is not set`);
  }
  return {
    authRequired: cfg.AUTH_REQUIRED,
    port: cfg.PORT,
    host: cfg.HOST,
    bodyLimitBytes: cfg.BODY_LIMIT_BYTES,
    jobTimeoutMs: cfg.JOB_TIMEOUT_MS,
    jobAttempts: cfg.JOB_ATTEMPTS,
    anonIpRpm: cfg.ANON_IP_RPM,
    authRpcTimeoutMs: cfg.AUTH_RPC_TIMEOUT_MS,
    principalCacheTtlMs: cfg.PRINCIPAL_CACHE_TTL_MS,
    redisOutageFailMs: cfg.REDIS_OUTAGE_FAIL_MS,
    authFailuresPerIpPerMin: cfg.AUTH_FAILURES_PER_IP_PER_MIN,
    jwksTtlMs: cfg.AUTH_JWKS_TTL_MS,
    jwtIssuer: cfg.AUTH_JWT_ISSUER,
    jwtAudience: cfg.AUTH_JWT_AUDIENCE,
    ragFileMaxBytes: cfg.RAG_FILE_MAX_BYTES,
    webConsoleDir: cfg.WEB_CONSOLE_DIR ?? null,
    ragRpcTimeoutMs: cfg.RAG_RPC_TIMEOUT_MS,
    ragUploadTimeoutMs: cfg.RAG_UPLOAD_TIMEOUT_MS,
    ragPollAfterMs: cfg.RAG_POLL_AFTER_MS,
    weatherProviderUrl: cfg.WEATHER_PROVIDER_URL ?? null,
    functionTimeoutMs: cfg.FUNCTION_TIMEOUT_MS,
    toolMaxSteps: cfg.TOOL_MAX_STEPS,
    mcpServers: cfg.MCP_SERVERS,
    models: models.models,
    routes: models.routes,
    piiSensitivity: cfg.PII_SENSITIVITY,
    piiRedact: cfg.PII_REDACT,
    piiRedactOutput: cfg.PII_REDACT_OUTPUT,
    piiPhoneRegion: cfg.PII_PHONE_REGION ?? null,
    piiPatterns: cfg.PII_PATTERNS,
    responseCacheTtlS: cfg.RESPONSE_CACHE_TTL_S,
    responseCacheShared: cfg.RESPONSE_CACHE_SHARED,
    circuitFailures: cfg.CIRCUIT_FAILURES,
    circuitCooldownMs: cfg.CIRCUIT_COOLDOWN_MS,
    batch: {
      runner: cfg.BATCH_RUNNER,
      runnerConcurrency: cfg.BATCH_RUNNER_CONCURRENCY,
      lineConcurrency: cfg.BATCH_LINE_CONCURRENCY,
      priority: cfg.BATCH_PRIORITY,
      maxLines: cfg.BATCH_MAX_LINES,
      lineTimeoutMs: cfg.BATCH_LINE_TIMEOUT_MS,
    },
    /** Remote providers' API keys, by the variable names the models config gives (read once, never logged). */
    providerKeys: Object.fromEntries(
      models.models.flatMap((m) =>
        m.kind === 'remote'
          ? m.endpoints.flatMap((e) =>
              e.api_key_env && env[e.api_key_env] ? [[e.api_key_env, env[e.api_key_env]!]] : [],
            )
          : [],
      ),
    ) as Record<string, string>,
  };
}

export const gatewayConfig = registerAs('gateway', () => readGatewayEnv());
