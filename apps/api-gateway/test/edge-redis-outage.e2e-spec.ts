// End-to-end: Redis goes away under the platform and comes back (issue 14, Faults). Auth, an inference worker and a
// gateway as real processes on a Redis server of this file's own, which the test kills and starts again on the same
// port, empty (no persistence, as on this machine). A second model that no worker serves keeps a job waiting.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import OpenAI from 'openai';
import {
  PrivateRedis,
  REPO_ROOT,
  createApiKey,
  RunningPlatform,
  startPlatform,
  startPrivateRedis,
} from '@llmp/testing';

jest.setTimeout(120_000);

const MODELS_DIR = resolve(REPO_ROOT, '../shared/models');
/** The gateway's default: how long Redis may be unreachable before requests waiting in a queue get a 503. */
const REDIS_OUTAGE_FAIL_MS = 5000;

let redis: PrivateRedis;
let platform: RunningPlatform;
let gw: string;
let configDir: string;

beforeAll(async () => {
  redis = await startPrivateRedis();
  configDir = mkdtempSync(join(tmpdir(), 'llmp-outage-'));
  const modelsConfig = join(configDir, 'models.yaml');
  const model = (id: string) => [
    `  - id: ${id}`,
    `    path: ${join(MODELS_DIR, 'stories260K.gguf')}`,
    '    capabilities: [chat, completion]',
    '    context_size: 512',
    '    slots: 2',
  ];
  writeFileSync(modelsConfig, ['models:', ...model('stories260k'), ...model('stories-unserved'), ''].join('\n'));
  platform = await startPlatform({
    workerModels: 'stories260k',
    env: { REDIS_URL: redis.url, MODELS_CONFIG: modelsConfig },
  });
  gw = platform.gateway.url;
});

afterAll(async () => {
  await platform?.stop();
  await redis?.stop();
  if (configDir) rmSync(configDir, { recursive: true, force: true });
});

async function chat(model: string, signal?: AbortSignal): Promise<{ status: number; body: string; headers: Headers }> {
  const res = await fetch(`${gw}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${platform.apiKey}` },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'Once upon a time' }], max_tokens: 8 }),
    signal,
  });
  return { status: res.status, body: await res.text(), headers: res.headers };
}

async function timed<T>(fn: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const start = Date.now();
  const result = await fn();
  return { result, ms: Date.now() - start };
}

describe('Redis outage', () => {
  it('fails fast with 503 + Retry-After while Redis is down, and serves again once it is back', async () => {
    expect(redis.isPrivate).toBe(true); // redis-server is installed here: the outage must be real
    const client = new OpenAI({ baseURL: `${gw}/v1`, apiKey: platform.apiKey, maxRetries: 0 });
    const before = await client.chat.completions.create({
      model: 'stories260k',
      messages: [{ role: 'user', content: 'Once upon a time' }],
      max_tokens: 8,
    });
    expect(before.choices[0]!.message.content).toEqual(expect.any(String));

    // A key this gateway has not seen yet (its check needs the auth service, over Redis).
    const unseenKey = await createApiKey(gw, platform.adminToken, { name: 'unseen' });

    // A request in flight: its job waits for a worker that never comes.
    const inFlight = timed(() => chat('stories-unserved'));
    await new Promise((r) => setTimeout(r, 500));
    const killedAt = Date.now();
    await redis.stop('SIGKILL');

    // A request during the outage fails at once (the credential is cached here; no Redis, no queue, no limits).
    const during = await timed(() => chat('stories260k'));
    expect(during.result.status).toBe(503);
    expect(JSON.parse(during.result.body).error).toMatchObject({ code: 'service_unavailable', type: 'server_error' });
    expect(Number(during.result.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(during.ms).toBeLessThan(2000); // well under REDIS_OUTAGE_FAIL_MS
    const models = await timed(() => fetch(`${gw}/v1/models`, { headers: { 'x-api-key': platform.apiKey } }));
    expect(models.result.status).toBe(503);
    expect(models.result.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(models.ms).toBeLessThan(2000);
    const unseen = await timed(() => fetch(`${gw}/v1/models`, { headers: { authorization: `Bearer ${unseenKey}` } }));
    expect(unseen.result.status).toBe(503);
    expect(unseen.result.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(unseen.ms).toBeLessThan(2000);
    // Liveness stays fast; readiness says the gateway cannot serve.
    const health = await timed(() => fetch(`${gw}/health`));
    expect(health.result.status).toBe(200);
    expect(health.ms).toBeLessThan(1000);
    expect((await fetch(`${gw}/health/ready`)).status).toBe(503);

    // The request in flight is answered 503 with Retry-After, not left hanging until JOB_TIMEOUT_MS.
    const lost = await inFlight;
    expect(lost.result.status).toBe(503);
    expect(JSON.parse(lost.result.body).error.code).toBe('service_unavailable');
    expect(Number(lost.result.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(REDIS_OUTAGE_FAIL_MS - 1000);
    expect(Date.now() - killedAt).toBeLessThan(10_000);

    // Redis comes back on the same port, empty: every service reconnects by itself and completions work again.
    await redis.start();
    const restartedAt = Date.now();
    let last = '';
    for (;;) {
      const res = await chat('stories260k', AbortSignal.timeout(5000)).catch((err: Error) => ({
        status: 0,
        body: err.message,
        headers: new Headers(),
      }));
      if (res.status === 200) {
        expect(JSON.parse(res.body).choices[0].message.content).toEqual(expect.any(String));
        break;
      }
      last = `${res.status} ${res.body}`;
      if (Date.now() - restartedAt > 20_000) throw new Error(`not serving 20 s after Redis restarted: ${last}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(Date.now() - restartedAt).toBeLessThan(20_000);
    expect((await fetch(`${gw}/health/ready`)).status).toBe(200);
  });
});
