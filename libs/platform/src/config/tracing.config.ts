import { z } from 'zod';
import { envBoolean, parseEnv } from './env';

/** An unset variable and an empty one (`OTEL_EXPORTER_OTLP_ENDPOINT=` in a .env file) mean the same: not set. */
const optional = <T extends z.ZodTypeAny>(schema: T) =>
  z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

const positiveMs = z.coerce.number().int().positive();

const SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;
export type TracesSamplerName = (typeof SAMPLERS)[number];

/** `key1=value1,key2=value2` with percent-encoded values (OTEL_RESOURCE_ATTRIBUTES). */
const keyValueList = z
  .string()
  .default('')
  .transform((value, ctx) => {
    const out: Record<string, string> = {};
    for (const pair of value.split(',')) {
      if (!pair.trim()) continue;
      const eq = pair.indexOf('=');
      if (eq <= 0) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: `'${pair.trim()}' is not key=value` });
        continue;
      }
      try {
        out[pair.slice(0, eq).trim()] = decodeURIComponent(pair.slice(eq + 1).trim());
      } catch {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: `'${pair.trim()}' has a malformed percent-encoding` });
      }
    }
    return out;
  });

/** The OTLP/HTTP traces URL: the signal-specific endpoint as given, or `<endpoint>/v1/traces` (the OTel spec). */
function tracesUrl(generic: string | undefined, specific: string | undefined): string | null {
  if (specific) return specific;
  if (generic) return `${generic.replace(/\/+$/, '')}/v1/traces`;
  return null;
}

/**
 * OpenTelemetry tracing, from the standard OTel variable names. Off unless an OTLP endpoint is configured
 * (`OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) or `OTEL_TRACES_EXPORTER=console`; off
 * whatever else is set with `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none`. The OTLP exporter itself also
 * reads its transport settings (`OTEL_EXPORTER_OTLP_HEADERS`, `_TIMEOUT`, `_COMPRESSION`, `_CERTIFICATE`, ...).
 */
export function readTracingEnv(env: NodeJS.ProcessEnv = process.env) {
  const cfg = parseEnv(
    {
      OTEL_SDK_DISABLED: optional(envBoolean),
      OTEL_TRACES_EXPORTER: optional(z.enum(['otlp', 'console', 'none'])),
      OTEL_EXPORTER_OTLP_ENDPOINT: optional(z.string().url()),
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optional(z.string().url()),
      OTEL_SERVICE_NAME: optional(z.string().min(1)),
      OTEL_RESOURCE_ATTRIBUTES: keyValueList,
      OTEL_TRACES_SAMPLER: optional(z.enum(SAMPLERS)),
      /** The ratio of the `traceidratio` samplers, 0 to 1. */
      OTEL_TRACES_SAMPLER_ARG: optional(z.coerce.number().min(0).max(1)),
      OTEL_BSP_SCHEDULE_DELAY: optional(positiveMs),
      OTEL_BSP_EXPORT_TIMEOUT: optional(positiveMs),
      OTEL_BSP_MAX_QUEUE_SIZE: optional(z.coerce.number().int().positive()),
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE: optional(z.coerce.number().int().positive()),
    },
    env,
    'tracing',
  );
  const exporter = cfg.OTEL_TRACES_EXPORTER ?? 'otlp';
  const url = tracesUrl(cfg.OTEL_EXPORTER_OTLP_ENDPOINT, cfg.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
  const enabled = cfg.OTEL_SDK_DISABLED !== true && (exporter === 'console' || (exporter === 'otlp' && url !== null));
  return {
    enabled,
    exporter,
    /** Where spans are POSTed (OTLP/HTTP, JSON); null when not configured. */
    otlpTracesUrl: url,
    /** `service.name`; null: the app's own name. */
    serviceName: cfg.OTEL_SERVICE_NAME ?? null,
    resourceAttributes: cfg.OTEL_RESOURCE_ATTRIBUTES,
    sampler: cfg.OTEL_TRACES_SAMPLER ?? 'parentbased_always_on',
    samplerRatio: cfg.OTEL_TRACES_SAMPLER_ARG ?? 1,
    batch: {
      scheduledDelayMillis: cfg.OTEL_BSP_SCHEDULE_DELAY ?? 5000,
      exportTimeoutMillis: cfg.OTEL_BSP_EXPORT_TIMEOUT ?? 30000,
      maxQueueSize: cfg.OTEL_BSP_MAX_QUEUE_SIZE ?? 2048,
      maxExportBatchSize: Math.min(cfg.OTEL_BSP_MAX_EXPORT_BATCH_SIZE ?? 512, cfg.OTEL_BSP_MAX_QUEUE_SIZE ?? 2048),
    },
  };
}

export type TracingConfig = ReturnType<typeof readTracingEnv>;
