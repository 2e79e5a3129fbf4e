// A small platform for the gateway-path benchmarks (cache, proxy): a private redis-server, a throw-away auth
// database, the auth app and an inference worker, and gateways started on demand with their own environment.
// Everything is stopped and deleted by `cleanup()` (also on SIGINT/SIGTERM).
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { REPO_ROOT } from './common.mjs';
import { authDatabase, freePort, postJson, startApp, startRun, waitReady } from './platform.mjs';

const USER_LIMITS = { rpm_limit: 100_000_000, tpm_limit: 1_000_000_000 };
const KEY_LIMITS = { rpm: 1_000_000, tpm: 1_000_000_000 };

export async function startBenchPlatform(name, { dist = 'dist', models = 'stories260k', pgAdminUrl } = {}) {
  const distDir = resolve(REPO_ROOT, dist);
  const runId = `bench-${Date.now()}`;
  const scratch = join(tmpdir(), `${runId}-${name}`);
  mkdirSync(scratch, { recursive: true });
  let database = null;
  const run = await startRun({ scratch, redisUrl: '', keys: `${runId}*`, database: () => database });
  database = await authDatabase(
    runId,
    pgAdminUrl ?? process.env.PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  );
  const baseEnv = {
    ...process.env,
    LOG_LEVEL: 'warn',
    REDIS_URL: run.redisUrl,
    QUEUE_PREFIX: runId,
    MODELS_CONFIG: resolve(REPO_ROOT, 'infra/config/models.yaml'),
    ...database.env,
  };
  const auth = startApp(distDir, 'auth', { ...baseEnv, PORT: String(await freePort()) });
  await waitReady(auth);
  const worker = startApp(distDir, 'inference-worker', {
    ...baseEnv,
    PORT: String(await freePort()),
    WORKER_MODELS: models,
  });
  await waitReady(worker);
  const gateway = async (env = {}) => {
    const g = startApp(distDir, 'api-gateway', {
      ...baseEnv,
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      ...env,
    });
    await waitReady(g);
    return g;
  };
  return { runId, scratch, baseEnv, auth, worker, gateway, database, redis: run.redis, cleanup: run.cleanup };
}

/** The admin raises their own limits and mints a key with limits high enough never to throttle a benchmark. */
export async function benchKey(gatewayUrl, admin) {
  const login = await postJson(`${gatewayUrl}/v1/auth/token`, admin);
  if (login.status !== 200) throw new Error(`admin login answered ${login.status}: ${login.text}`);
  const bearer = { authorization: `Bearer ${login.json().access_token}` };
  const me = await fetch(`${gatewayUrl}/v1/auth/me`, { headers: bearer }).then((r) => r.json());
  const patched = await fetch(`${gatewayUrl}/v1/admin/users/${me.id}`, {
    method: 'PATCH',
    headers: { ...bearer, 'content-type': 'application/json' },
    body: JSON.stringify(USER_LIMITS),
  });
  if (patched.status !== 200) throw new Error(`raising the admin's limits answered ${patched.status}`);
  const created = await postJson(`${gatewayUrl}/v1/api-keys`, { name: 'bench', ...KEY_LIMITS }, bearer);
  if (created.status !== 201) throw new Error(`creating an API key answered ${created.status}: ${created.text}`);
  return created.json().key;
}
