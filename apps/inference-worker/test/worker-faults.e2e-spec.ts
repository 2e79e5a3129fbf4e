/**
 * The inference worker under faults, as real processes: bad model files and bad configuration stop it at start-up
 * with a message that names the culprit; a worker killed mid-job has its job finished by another worker.
 *
 * Needs a build first: `npm test` runs `node infra/scripts/build.mjs` before jest; when running this file alone,
 * build it yourself (`node infra/scripts/build.mjs && npx jest apps/inference-worker/test --runInBand`).
 *
 * Losing Redis mid-job is not tested here: Redis is shared by everything on this machine and cannot be stopped
 * safely from a test.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  REPO_ROOT,
  RunningApp,
  RunningPlatform,
  TEST_REDIS_URL,
  createQueuePrefix,
  freePort,
  metricValue,
  runToExit,
  startApp,
  startPlatform,
} from '@llmp/testing';

const WORKER_ENTRY = 'dist/apps/inference-worker/src/main.js';
const STORIES_GGUF = resolve(REPO_ROOT, '../shared/models/stories260K.gguf');

describe('inference worker start-up with bad models or configuration', () => {
  const queue = createQueuePrefix('llmpwf');
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'llmp-worker-faults-'));
  });

  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await queue.cleanup();
  });

  function modelsConfig(name: string, modelLines: string): string {
    const path = join(dir, name);
    writeFileSync(path, `models:\n  - id: m\n${modelLines}`);
    return path;
  }

  async function runWorker(env: Record<string, string>) {
    const port = await freePort();
    return runToExit(
      WORKER_ENTRY,
      { REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: queue.prefix, LOG_LEVEL: 'warn', PORT: String(port), ...env },
      20_000,
    );
  }

  it('exits non-zero naming the path of a model file that does not exist', async () => {
    const missing = join(dir, 'nowhere', 'ghost-model.gguf');
    const config = modelsConfig('missing.yaml', `    path: ${missing}\n`);
    const { code, output } = await runWorker({ MODELS_CONFIG: config });
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(output).toContain(missing);
  });

  it('exits non-zero naming the path of a corrupt model file', async () => {
    const corrupt = join(dir, 'corrupt.gguf');
    writeFileSync(corrupt, randomBytes(64 * 1024));
    const config = modelsConfig('corrupt.yaml', `    path: ${corrupt}\n`);
    const { code, output } = await runWorker({ MODELS_CONFIG: config });
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(output).toContain(corrupt);
  });

  it('exits non-zero naming the path of a truncated model file', async () => {
    const truncated = join(dir, 'truncated.gguf');
    // A real GGUF header (magic, version, counts) and the first part of its metadata, then nothing.
    writeFileSync(truncated, readFileSync(STORIES_GGUF).subarray(0, 4096));
    const config = modelsConfig('truncated.yaml', `    path: ${truncated}\n`);
    const { code, output } = await runWorker({ MODELS_CONFIG: config });
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(output).toContain(truncated);
  });

  it('exits non-zero naming PORT when it is not a number', async () => {
    const { code, output } = await runWorker({ PORT: 'abc', WORKER_MODELS: 'stories260k' });
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(output).toMatch(/PORT: /);
  });

  it('exits non-zero naming the field when a model has slots: 0', async () => {
    const config = modelsConfig('zero-slots.yaml', `    path: ${STORIES_GGUF}\n    slots: 0\n`);
    const { code, output } = await runWorker({ MODELS_CONFIG: config });
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(output).toContain(config);
    expect(output).toContain('models.0.slots');
  });

  it('exits non-zero naming a WORKER_MODELS entry that is not in the models config', async () => {
    const { code, output } = await runWorker({ WORKER_MODELS: 'stories260k,no-such-model' });
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(output).toContain('WORKER_MODELS');
    expect(output).toContain('no-such-model');
  });
});

describe('inference worker killed mid-job', () => {
  let platform: RunningPlatform | undefined;
  const workers: RunningApp[] = [];
  let workerEnv: Record<string, string>;

  beforeAll(async () => {
    // Auth and a gateway (with an API key); the workers are started by the test.
    platform = await startPlatform({ worker: false, env: { LOG_LEVEL: 'warn' } });
    workerEnv = { ...platform.env, WORKER_MODELS: 'stories260k', JOB_LOCK_MS: '2000' };
  }, 120_000);

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop('SIGKILL')));
    await platform?.stop();
  });

  it('finishes the request on another worker after the first one is SIGKILLed', async () => {
    const { gateway, apiKey } = platform!;
    const workerA = await startApp('inference-worker', workerEnv, { readyPath: '/health/ready' });
    workers.push(workerA);
    const busyOnA = async () =>
      metricValue(await (await fetch(`${workerA.url}/metrics`)).text(), 'inference_busy_slots', {
        model: 'stories260k',
      });

    // 1500 tokens took about 3 s here (quiet machine): worker A is still generating when it is killed.
    const request = fetch(`${gateway.url}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
      body: JSON.stringify({ model: 'stories260k', prompt: 'Once upon a time', max_tokens: 1500 }),
      signal: AbortSignal.timeout(60_000),
    }).then(async (res) => ({ status: res.status, body: (await res.json()) as Record<string, unknown> }));
    let settled = false;
    void request.then(
      () => (settled = true),
      () => (settled = true),
    );

    const deadline = Date.now() + 10_000;
    while ((await busyOnA()) !== 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(await busyOnA()).toBe(1);
    await workerA.stop('SIGKILL');
    const killedAt = Date.now();
    expect(settled).toBe(false);

    const workerB = await startApp('inference-worker', workerEnv, { readyPath: '/health/ready' });
    workers.push(workerB);

    const { status, body } = await request;
    const tookMs = Date.now() - killedAt;
    expect(status).toBe(200);
    const choice = (body.choices as { text: string; finish_reason: string }[])[0]!;
    expect(choice.text.length).toBeGreaterThan(0);
    expect(choice.finish_reason).toBe('length');
    expect(body.usage).toMatchObject({ completion_tokens: 1500 });
    expect(tookMs).toBeLessThan(30_000);

    // Worker B did the work.
    const metricsB = await (await fetch(`${workerB.url}/metrics`)).text();
    expect(metricValue(metricsB, 'inference_jobs_total', { model: 'stories260k', outcome: 'length' })).toBe(1);
  });
});
