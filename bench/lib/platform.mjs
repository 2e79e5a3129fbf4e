// Starting the platform for a benchmark: the built apps as child processes, a private redis-server, a throw-away
// Postgres database for the auth app and an API key minted through the public API, as a client would. Everything
// started here is tracked and killed when the benchmark process exits.
import { fork, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { REPO_ROOT, procCpuMs } from './common.mjs';

const children = new Set();
// Whatever happens, no process of the benchmark outlives it.
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

export function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Kills every tracked process except those in `keep`, and waits for them to exit. */
export async function killAll(keep = []) {
  const procs = [...children].filter((c) => !keep.includes(c));
  await Promise.all(procs.map((c) => new Promise((r) => (c.kill('SIGKILL') ? c.once('exit', r) : r()))));
}

export async function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

/** Starts a built app (`<distDir>/apps/<name>/src/main.js`) with `env` (PORT included) and extra Node flags. */
export function startApp(distDir, name, env, nodeArgs = []) {
  const entry = join(distDir, 'apps', name, 'src', 'main.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run node infra/scripts/build.mjs`);
  const proc = track(
    spawn(process.execPath, [...nodeArgs, entry], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] }),
  );
  let output = '';
  const keep = (d) => (output = (output + d.toString()).slice(-20000));
  proc.stdout.on('data', keep);
  proc.stderr.on('data', keep);
  const exited = new Promise((res) => proc.once('exit', (code, signal) => res(signal ?? code)));
  return {
    name,
    proc,
    url: `http://127.0.0.1:${env.PORT}`,
    output: () => output,
    cpuMs: () => procCpuMs(proc.pid),
    alive: () => proc.exitCode === null && proc.signalCode === null,
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export async function waitReady(app, timeoutMs = 90000) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (!app.alive()) throw new Error(`${app.name} exited during start-up:\n${app.output()}`);
    try {
      const res = await fetch(`${app.url}/health/ready`);
      if (res.ok) return;
      last = `${res.status} ${await res.text()}`;
    } catch (err) {
      last = err.message;
    }
    await sleep(100);
  }
  throw new Error(`${app.name} not ready after ${timeoutMs} ms (${last}):\n${app.output()}`);
}

/**
 * A redis-server of the run's own (no persistence, like the shared one). The auth RPC channels are not namespaced
 * by QUEUE_PREFIX, so on a shared Redis another platform running on the machine would answer the benchmark's RPCs.
 */
export async function startPrivateRedis(dir) {
  const port = await freePort();
  const proc = track(
    spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    ),
  );
  let output = '';
  proc.stdout.on('data', (d) => (output = (output + d).slice(-4000)));
  proc.stderr.on('data', (d) => (output = (output + d).slice(-4000)));
  const failed = new Promise((_, reject) => {
    proc.once('error', (err) => reject(new Error(`cannot start redis-server (${err.message}); pass --redis-url`)));
    proc.once('exit', (code) => reject(new Error(`redis-server exited with ${code}:\n${output}`)));
  });
  failed.catch(() => undefined);
  const { Redis } = await import('ioredis');
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 10000;
  for (;;) {
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined);
    try {
      await Promise.race([probe.connect(), failed]);
      const info = await probe.info('server');
      return { url, proc, version: /redis_version:(\S+)/.exec(info)?.[1] ?? '?' };
    } catch (err) {
      if (Date.now() > deadline || proc.exitCode !== null) throw err;
      await sleep(50);
    } finally {
      probe.disconnect();
    }
  }
}

/**
 * Where a benchmark runs: a private redis-server in `scratch` (see startPrivateRedis), or the Redis at `redisUrl`,
 * with a connection to it; and `cleanup()`, also run on SIGINT and SIGTERM, which kills the benchmark's processes,
 * drops the database `database()` answers (if any), deletes the Redis keys matching `keys` (before the private
 * Redis goes) and removes `scratch`, resolving to the number of keys deleted. `ownRedis` is null for a given Redis.
 */
export async function startRun({ scratch, redisUrl, keys, database = () => null }) {
  const ownRedis = redisUrl ? null : await startPrivateRedis(scratch);
  const url = ownRedis?.url ?? redisUrl;
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  await redis.connect();
  const cleanup = async () => {
    // The apps first, the private Redis last: the keys are deleted while it still answers.
    await killAll(ownRedis ? [ownRedis.proc] : []);
    const db = database();
    await db?.drop().catch((err) => console.error(`dropping database ${db.database} failed: ${err.message}`));
    const deleted = await deleteKeys(redis, keys).catch(() => 0);
    redis.disconnect();
    await killAll();
    rmSync(scratch, { recursive: true, force: true });
    return deleted;
  };
  const onSignal = (sig) => {
    console.error(`\n${sig}: stopping benchmark processes`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return { redisUrl: url, ownRedis, redis, cleanup };
}

/**
 * Runs `script --baseline-child`, a benchmark's in-process reference, in a process of its own with `cfg` in
 * BENCH_BASELINE_CONFIG; resolves to the message it sends back before it exits.
 */
export function runBaselineChild(script, cfg) {
  const child = track(
    fork(script, ['--baseline-child'], {
      cwd: REPO_ROOT,
      env: { ...process.env, BENCH_BASELINE_CONFIG: JSON.stringify(cfg) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  return new Promise((resolvePromise, reject) => {
    let result;
    child.on('message', (m) => (result = m));
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (result) resolvePromise(result);
      else reject(new Error(`in-process baseline exited with ${signal ?? code} before reporting`));
    });
  });
}

export async function deleteKeys(redis, pattern) {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length) deleted += await redis.del(...keys);
  } while (cursor !== '0');
  return deleted;
}

/** A throw-away Postgres database for the auth app and its admin's credentials; `drop()` removes it. */
export async function authDatabase(runId, pgAdminUrl) {
  const { default: pg } = await import('pg');
  const name = runId.replace(/-/g, '_');
  const admin = new pg.Client({ connectionString: pgAdminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(pgAdminUrl);
  url.pathname = `/${name}`;
  const password = `Bench-${randomBytes(9).toString('base64url')}-9a!`;
  return {
    database: name,
    admin: { username: 'admin', password },
    env: {
      DATABASE_URL: url.toString(),
      AUTH_ADMIN_USERNAME: 'admin',
      AUTH_ADMIN_PASSWORD: password,
      // The limits are checked on every request as usual, but set high enough never to throttle the benchmark.
      AUTH_DEFAULT_USER_RPM: '1000000',
      AUTH_DEFAULT_USER_TPM: '1000000000',
      // Never overwrite the developer's data/dev-api-key with the benchmark admin's key.
      AUTH_DEV_API_KEY_FILE: '',
    },
    drop: async () => {
      const c = new pg.Client({ connectionString: pgAdminUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

export async function postJson(url, body, headers = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, text, json: () => JSON.parse(text) };
}

/** Logs the admin in through the gateway and creates an API key, as a client would. */
export async function mintApiKey(gatewayUrl, admin) {
  const login = await postJson(`${gatewayUrl}/v1/auth/token`, admin);
  if (login.status !== 200) throw new Error(`admin login answered ${login.status}: ${login.text}`);
  const created = await postJson(
    `${gatewayUrl}/v1/api-keys`,
    { name: 'bench' },
    { authorization: `Bearer ${login.json().access_token}` },
  );
  if (created.status !== 201) throw new Error(`creating an API key answered ${created.status}: ${created.text}`);
  return created.json().key;
}

/** CPU time (ms) of the Postgres backends serving one database: their process titles name it. */
export function postgresCpuMs(database) {
  let total = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let title;
    try {
      title = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (title.startsWith('postgres: ') && title.includes(` ${database} `)) total += procCpuMs(pid) ?? 0;
  }
  return total;
}

/** Reads a Prometheus text exposition into `{ 'name{labels}': value }`. */
export async function scrapeMetrics(url) {
  const text = await fetch(url).then((r) => r.text());
  const out = {};
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out[line.slice(0, i)] = Number(line.slice(i + 1));
  }
  return out;
}
