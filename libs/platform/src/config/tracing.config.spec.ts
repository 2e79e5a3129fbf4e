import { ConfigError } from './env';
import { readTracingEnv } from './tracing.config';

describe('readTracingEnv', () => {
  it('is off when no exporter endpoint is configured', () => {
    expect(readTracingEnv({}).enabled).toBe(false);
    expect(readTracingEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: '' }).enabled).toBe(false);
    expect(readTracingEnv({ OTEL_SERVICE_NAME: 'gw' }).enabled).toBe(false);
  });

  it('sends to <endpoint>/v1/traces, or to the traces endpoint as given', () => {
    const generic = readTracingEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' });
    expect(generic).toMatchObject({ enabled: true, otlpTracesUrl: 'http://collector:4318/v1/traces' });
    const specific = readTracingEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://traces:9999/custom',
    });
    expect(specific.otlpTracesUrl).toBe('http://traces:9999/custom');
  });

  it('stays off with OTEL_SDK_DISABLED or OTEL_TRACES_EXPORTER=none, whatever the endpoint', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
    expect(readTracingEnv({ ...endpoint, OTEL_SDK_DISABLED: 'true' }).enabled).toBe(false);
    expect(readTracingEnv({ ...endpoint, OTEL_TRACES_EXPORTER: 'none' }).enabled).toBe(false);
    expect(readTracingEnv({ OTEL_TRACES_EXPORTER: 'console' }).enabled).toBe(true);
  });

  it('reads the sampler, the batch settings and the resource attributes', () => {
    const cfg = readTracingEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=staging,team=llm%20ops',
    });
    expect(cfg).toMatchObject({
      sampler: 'parentbased_traceidratio',
      samplerRatio: 0.25,
      batch: { scheduledDelayMillis: 100, maxQueueSize: 2048, maxExportBatchSize: 512 },
      resourceAttributes: { 'deployment.environment.name': 'staging', team: 'llm ops' },
    });
  });

  it('names the variable of a bad value', () => {
    expect(() => readTracingEnv({ OTEL_TRACES_SAMPLER: 'sometimes' })).toThrow(ConfigError);
    expect(() => readTracingEnv({ OTEL_TRACES_SAMPLER: 'sometimes' })).toThrow(/OTEL_TRACES_SAMPLER/);
    expect(() => readTracingEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT/);
    expect(() => readTracingEnv({ OTEL_TRACES_SAMPLER_ARG: '2' })).toThrow(/OTEL_TRACES_SAMPLER_ARG/);
  });
});
