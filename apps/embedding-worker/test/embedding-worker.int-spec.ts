import { RunningApp, TEST_REDIS_URL, startApp } from '@llmp/testing';

interface ReadyBody {
  status: string;
  checks: Record<string, { ok: boolean; error?: string }>;
}

describe('embedding-worker (built app, real Redis)', () => {
  let app: RunningApp | undefined;

  beforeAll(async () => {
    app = await startApp('embedding-worker', { REDIS_URL: TEST_REDIS_URL });
  });

  afterAll(async () => {
    await app?.stop();
  });

  it('answers liveness on /health', async () => {
    const res = await fetch(`${app!.url}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('is ready once Redis answers and its embedding models are loaded, and owns no database', async () => {
    const res = await fetch(`${app!.url}/health/ready`);
    const body = (await res.json()) as ReadyBody;
    expect(res.status).toBe(200);
    expect(body.status).toBe('ready');
    expect(body.checks.redis?.ok).toBe(true);
    expect(body.checks.models?.ok).toBe(true);
    expect(body.checks.postgres).toBeUndefined();
  });

  it('exposes Prometheus process metrics labelled with its service name', async () => {
    const res = await fetch(`${app!.url}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/^process_cpu_user_seconds_total\{[^}]*service="embedding-worker"[^}]*\} \d/m);
  });
});
