import {
  Attributes,
  Context,
  DiagConsoleLogger,
  DiagLogLevel,
  Link,
  SpanKind,
  Tracer,
  context,
  diag,
  propagation,
  trace,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  ParentBasedSampler,
  Sampler,
  SamplingDecision,
  SamplingResult,
  SimpleSpanProcessor,
  SpanExporter,
  SpanProcessor,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { TracingConfig, readTracingEnv } from '../config/tracing.config';

/** The instrumentation scope of every span the platform makes (HTTP, RPC, queue, job handlers). */
export const TRACER_NAME = 'llmp';

interface TracingState {
  provider: TracerProvider;
  contextManager: AsyncLocalStorageContextManager;
}

let state: TracingState | null = null;

/** True once `startTracing` registered a provider: the hooks and wrappers that make spans check it. */
export function isTracingEnabled(): boolean {
  return state !== null;
}

/** The platform's tracer (a no-op one while tracing is off). */
export function platformTracer(): Tracer {
  return trace.getTracer(TRACER_NAME);
}

export interface StartTracingOptions {
  /** Replaces the configured exporter, with a SimpleSpanProcessor (in-process tests). */
  exporter?: SpanExporter;
}

/**
 * Registers the global tracer provider, the AsyncLocalStorage context manager and the W3C trace-context
 * propagator, when the configuration turns tracing on (an OTLP endpoint is set); otherwise registers nothing, so
 * every `@opentelemetry/api` call stays the API's no-op and the HTTP, RPC and queue hooks are not installed.
 * Idempotent: the first call wins. Returns whether tracing is on.
 */
export function startTracing(
  appName: string,
  cfg: TracingConfig = readTracingEnv(),
  opts: StartTracingOptions = {},
): boolean {
  if (state) return true;
  if (!cfg.enabled && !opts.exporter) return false;

  // Export failures (collector down) are reported here; without a logger the API drops them silently.
  diag.setLogger(new DiagConsoleLogger(), DiagLogLevel.ERROR);
  const serviceName = cfg.serviceName ?? cfg.resourceAttributes[ATTR_SERVICE_NAME] ?? appName;
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ ...cfg.resourceAttributes, [ATTR_SERVICE_NAME]: serviceName }),
    sampler: new QuietRootSampler(configuredSampler(cfg)),
    spanProcessors: [spanProcessor(cfg, opts)],
  });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  state = { provider, contextManager };
  return true;
}

/** Exports what is buffered and unregisters the globals (called on application shutdown). */
export async function shutdownTracing(): Promise<void> {
  const current = state;
  if (!current) return;
  state = null;
  try {
    await current.provider.shutdown();
  } finally {
    trace.disable();
    propagation.disable();
    context.disable();
    diag.disable();
  }
}

/** Exports the spans ended so far without shutting down (tests, and a caller about to exit abruptly). */
export async function flushTracing(): Promise<void> {
  await state?.provider.forceFlush();
}

function spanProcessor(cfg: TracingConfig, opts: StartTracingOptions): SpanProcessor {
  if (opts.exporter) return new SimpleSpanProcessor({ exporter: opts.exporter });
  const exporter: SpanExporter =
    cfg.exporter === 'console' ? new ConsoleSpanExporter() : new OTLPTraceExporter({ url: cfg.otlpTracesUrl! });
  return new BatchSpanProcessor({ exporter, ...cfg.batch });
}

function configuredSampler(cfg: TracingConfig): Sampler {
  const ratio = () => new TraceIdRatioBasedSampler(cfg.samplerRatio);
  switch (cfg.sampler) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return ratio();
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratio() });
  }
}

/**
 * Drops INTERNAL spans that would start a trace of their own. BullMQ's telemetry wraps its housekeeping in such
 * spans (`getNextJob` on every blocking poll of every worker, `moveStalledJobsToWait`, `close`): each would be a
 * one-span trace every few seconds per worker, drowning the request traces. Their children, if any, go with them.
 * INTERNAL spans inside a request, a job or an RPC, and root SERVER, CONSUMER and PRODUCER spans, are unaffected.
 */
export class QuietRootSampler implements Sampler {
  constructor(private readonly delegate: Sampler) {}

  shouldSample(
    ctx: Context,
    traceId: string,
    spanName: string,
    spanKind: SpanKind,
    attributes: Attributes,
    links: Link[],
  ): SamplingResult {
    if (spanKind === SpanKind.INTERNAL && trace.getSpanContext(ctx) === undefined) {
      return { decision: SamplingDecision.NOT_RECORD };
    }
    return this.delegate.shouldSample(ctx, traceId, spanName, spanKind, attributes, links);
  }

  toString(): string {
    return `QuietRootSampler{${this.delegate.toString()}}`;
  }
}
