// A platform with a pool of inference workers on one queue, for the scale-out and soak benchmarks: a private
// redis-server, auth on a throw-away database (an API key minted through the public API), one gateway and
// `workers` inference-worker processes serving one model from a models config written for the run.
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { REPO_ROOT } from './common.mjs';
import { authDatabase, freePort, mintApiKey, startApp, startRun, waitReady } from './platform.mjs';

/**
 * `model`: { id, file, contextSize, slots, maxTokens }. Returns { gateway, workers, auth, apiKey, startWorker,
 * cleanup }; `startWorker(env)` adds a worker to the pool and waits for it to be ready.
 */
export async function startPool({ runId, model, workers = 1, workerEnv = {}, pgAdminUrl }) {
  const distDir = resolve(REPO_ROOT, 'dist');
  const scratch = join(tmpdir(), `${runId}-pool`);
  mkdirSync(scratch, { recursive: true });
  const yamlPath = join(scratch, 'models.yaml');
  writeFileSync(
    yamlPath,
    [
      'models:',
      `  - id: ${model.id}`,
      `    path: ${JSON.stringify(model.file)}`,
      '    capabilities: [chat, completion]',
      `    context_size: ${model.contextSize}`,
      `    slots: ${model.slots}`,
      '    threads: 1',
      '    gpu: false',
      `    default_max_tokens: ${model.maxTokens}`,
      // One API key drives the whole load: let it have the whole queue, and a queue deep enough that the
      // closed-loop clients are never turned away (a 429 would spin the load generator instead of loading).
      '    max_user_share: 1',
      '    max_queue: 1000',
      '',
    ].join('\n'),
  );
  let auth = null;
  const run = await startRun({ scratch, redisUrl: '', keys: `${runId}-*`, database: () => auth });
  auth = await authDatabase(runId, pgAdminUrl);
  const base = {
    ...process.env,
    LOG_LEVEL: 'warn',
    REDIS_URL: run.redisUrl,
    QUEUE_PREFIX: runId,
    MODELS_CONFIG: yamlPath,
    WORKER_MODELS: model.id,
    ...auth.env,
  };
  delete base.WORKER_ENGINE;
  const app = async (name, env = {}) => {
    const a = startApp(distDir, name, { ...base, ...env, PORT: String(await freePort()) });
    await waitReady(a);
    return a;
  };
  const authApp = await app('auth');
  const pool = [];
  const startWorker = async (env = {}) => {
    const w = await app('inference-worker', { ...workerEnv, ...env });
    pool.push(w);
    return w;
  };
  for (let i = 0; i < workers; i++) await startWorker();
  const gateway = await app('api-gateway', { HOST: '127.0.0.1' });
  const apiKey = await mintApiKey(gateway.url, auth.admin);
  const redisPid = run.ownRedis?.proc.pid ?? null;
  return { gateway, workers: pool, auth: authApp, apiKey, redisPid, startWorker, cleanup: run.cleanup };
}

/** One non-streamed completion; resolves with its completion tokens (0 on an error, counted by the caller). */
export async function completion(gateway, apiKey, body) {
  const res = await fetch(`${gateway.url}/v1/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    body: JSON.stringify(body),
  });
  const json = await res.json();
  if (res.status !== 200) return { ok: false, status: res.status, tokens: 0, error: json?.error?.message };
  return { ok: true, status: 200, tokens: json.usage?.completion_tokens ?? 0 };
}

/** Resident memory of a process in bytes (VmRSS), or null once it is gone. */
export async function rssBytes(pid) {
  const { readFileSync } = await import('node:fs');
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}
