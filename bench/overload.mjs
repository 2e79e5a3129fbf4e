// Overload: many more streams at once than a model has slots. The whole platform as processes (auth on a
// throw-away database, one inference worker with stories260k on `--slots` slots, the gateway), several users each
// with an API key, and `--streams` streaming chat completions sent at the same instant, in three phases of the same
// run (each on its own queue prefix, so no state carries over):
//   bounded        the default admission limits (max_queue 4 x slots, max_user_share 0.5), no client retries:
//                  every request is either served or refused at once with 429 server_overloaded + Retry-After
//   bounded+retry  the same burst, clients that get 429 wait Retry-After (retry-after-ms) and try again until served
//   unbounded      max_queue 100,000 and max_user_share 1: the behaviour before bounded queues (the baseline),
//                  everything queues and time to first token grows with the queue
// Alongside each burst a probe times GET /health every 100 ms (it must stay fast under overload).
// Figures: statuses (5xx must be 0), 429s with and without Retry-After, served time to first token p50/p99 (the
// target is p99 <= 5 s), time to a 429, SSE `: queued` comments seen, /health latency, makespan.
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { REPO_ROOT, environment, fmt, markdownTable, parseArgs, round, stat, writeResults } from './lib/common.mjs';
import { authDatabase, freePort, mintApiKey, postJson, startApp, startRun, waitReady } from './lib/platform.mjs';

const MODEL_ID = 'stories260k';
const MODEL_FILE = join(REPO_ROOT, '..', 'shared', 'models', 'stories260K.gguf');

const PHASES = [
  { name: 'bounded', limits: {}, retry: false },
  { name: 'bounded+retry', limits: {}, retry: true },
  { name: 'unbounded', limits: { max_queue: 100_000, max_user_share: 1 }, retry: false },
];

function modelsYaml(slots, maxTokens, limits) {
  return [
    'models:',
    `  - id: ${MODEL_ID}`,
    `    path: ${JSON.stringify(MODEL_FILE)}`,
    '    capabilities: [chat, completion]',
    '    context_size: 512',
    `    slots: ${slots}`,
    '    sequence_headroom: 2',
    '    threads: 1',
    '    gpu: false',
    `    default_max_tokens: ${maxTokens}`,
    ...Object.entries(limits).map(([k, v]) => `    ${k}: ${v}`),
    '',
  ].join('\n');
}

/**
 * One streaming chat completion read as raw SSE: the status, when the first content arrived, how many `: queued`
 * comments came before it, whether the stream ended with [DONE] or an error event.
 */
async function stream(gatewayUrl, apiKey, body, t0) {
  const out = { status: 0, retryAfterMs: null, ttftMs: null, endMs: null, queuedComments: 0, done: false, error: null };
  let res;
  try {
    res = await fetch(`${gatewayUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
      body,
    });
  } catch (err) {
    out.error = `fetch: ${err.cause?.code ?? err.message}`;
    out.endMs = performance.now() - t0;
    return out;
  }
  out.status = res.status;
  if (res.status !== 200) {
    const ms = res.headers.get('retry-after-ms');
    const s = res.headers.get('retry-after');
    out.retryAfterMs = ms !== null ? Number(ms) : s !== null ? Number(s) * 1000 : null;
    const text = await res.text();
    try {
      out.error = JSON.parse(text).error?.code ?? text.slice(0, 200);
    } catch {
      out.error = text.slice(0, 200);
    }
    out.endMs = performance.now() - t0;
    return out;
  }
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for await (const chunk of res.body) {
      buffer += decoder.decode(chunk, { stream: true });
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).trimEnd();
        buffer = buffer.slice(nl + 1);
        if (line.startsWith(': queued')) out.queuedComments++;
        if (!line.startsWith('data: ')) continue;
        const data = line.slice(6);
        if (data === '[DONE]') {
          out.done = true;
          continue;
        }
        const event = JSON.parse(data);
        if (event.error) out.error = event.error.code ?? 'stream_error';
        else if (out.ttftMs === null && event.choices?.[0]?.delta?.content) out.ttftMs = performance.now() - t0;
      }
    }
  } catch (err) {
    out.error = `stream: ${err.cause?.code ?? err.message}`;
  }
  out.endMs = performance.now() - t0;
  return out;
}

/** A client that honours Retry-After until it is served (or `windowMs` has passed). */
async function persistentClient(gatewayUrl, apiKey, body, t0, windowMs) {
  let attempts = 0;
  for (;;) {
    attempts++;
    const r = await stream(gatewayUrl, apiKey, body, t0);
    if (r.status !== 429 || r.retryAfterMs === null || performance.now() - t0 > windowMs) return { ...r, attempts };
    await sleep(r.retryAfterMs * (0.75 + Math.random() * 0.5));
  }
}

async function healthProbe(gatewayUrl, stopSignal) {
  const latencies = [];
  let failures = 0;
  while (!stopSignal.stopped) {
    const t = performance.now();
    try {
      const res = await fetch(`${gatewayUrl}/health`);
      await res.arrayBuffer();
      if (res.ok) latencies.push(performance.now() - t);
      else failures++;
    } catch {
      failures++;
    }
    await sleep(100);
  }
  return { latencies, failures };
}

async function startPhasePlatform(cfg, phase, prefix, scratch, auth) {
  const yamlPath = join(scratch, `models-${prefix}.yaml`);
  writeFileSync(yamlPath, modelsYaml(cfg.slots, cfg.maxTokens, phase.limits));
  const base = {
    ...process.env,
    LOG_LEVEL: 'warn',
    REDIS_URL: cfg.redisUrl,
    QUEUE_PREFIX: prefix,
    MODELS_CONFIG: yamlPath,
    WORKER_MODELS: MODEL_ID,
    ...auth.env,
  };
  const authApp = startApp(cfg.distDir, 'auth', { ...base, PORT: String(await freePort()) });
  await waitReady(authApp);
  const worker = startApp(cfg.distDir, 'inference-worker', { ...base, PORT: String(await freePort()) });
  const gateway = startApp(cfg.distDir, 'api-gateway', {
    ...base,
    PORT: String(await freePort()),
    HOST: '127.0.0.1',
    ANON_IP_RPM: '100000',
    AUTH_FAILURES_PER_IP_PER_MIN: '100000',
  });
  await Promise.all([worker, gateway].map((a) => waitReady(a)));
  const apps = [authApp, worker, gateway];
  return { gateway, stop: () => Promise.all(apps.map((a) => a.stop())) };
}

/** `users` users, each with an API key minted through the public API (the admin is one of them). */
async function mintUserKeys(gatewayUrl, auth, users) {
  const keys = [await mintApiKey(gatewayUrl, auth.admin)];
  for (let i = 1; i < users; i++) {
    const user = { username: `bench-user-${i}`, password: `${auth.admin.password}-${i}` };
    const reg = await postJson(`${gatewayUrl}/v1/auth/register`, user);
    if (reg.status !== 201 && reg.status !== 409) throw new Error(`register answered ${reg.status}: ${reg.text}`);
    keys.push(await mintApiKey(gatewayUrl, user));
  }
  return keys;
}

async function runPhase(cfg, phase, index, runId, scratch, auth) {
  const platform = await startPhasePlatform(cfg, phase, `${runId}-p${index}`, scratch, auth);
  try {
    const url = platform.gateway.url;
    const keys = await mintUserKeys(url, auth, cfg.users);
    const body = JSON.stringify({
      model: MODEL_ID,
      messages: [{ role: 'user', content: 'Tell me a story about a dog.' }],
      max_tokens: cfg.maxTokens,
      temperature: 0.8,
      stream: true,
    });
    // Warm-up: each user once, so JIT, caches and the model are hot and the drain rate has a measurement.
    for (const key of keys) {
      const w = await stream(url, key, body, performance.now());
      if (w.status !== 200 || !w.done) throw new Error(`warm-up answered ${w.status} ${w.error}`);
    }
    const probeStop = { stopped: false };
    const probe = healthProbe(url, probeStop);
    await sleep(300);
    const t0 = performance.now();
    const results = await Promise.all(
      Array.from({ length: cfg.streams }, (_, i) =>
        phase.retry
          ? persistentClient(url, keys[i % keys.length], body, t0, cfg.retryWindowS * 1000)
          : stream(url, keys[i % keys.length], body, t0).then((r) => ({ ...r, attempts: 1 })),
      ),
    );
    const makespanMs = performance.now() - t0;
    probeStop.stopped = true;
    const health = await probe;
    return summarize(phase, results, makespanMs, health, keys.length);
  } finally {
    await platform.stop();
  }
}

function summarize(phase, results, makespanMs, health, users) {
  const served = results.filter((r) => r.status === 200 && r.done && !r.error);
  const refused = results.filter((r) => r.status === 429);
  const statuses = {};
  for (const r of results) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
  const errorCodes = {};
  for (const r of results) if (r.error) errorCodes[r.error] = (errorCodes[r.error] ?? 0) + 1;
  return {
    phase: phase.name,
    limits: phase.limits,
    client_retries: phase.retry,
    users,
    requests: results.length,
    statuses,
    error_codes: errorCodes,
    served: served.length,
    refused_429: refused.length,
    refused_429_with_retry_after: refused.filter((r) => r.retryAfterMs !== null).length,
    server_errors_5xx: results.filter((r) => r.status >= 500).length,
    stream_errors: results.filter((r) => r.status === 200 && (r.error || !r.done)).length,
    transport_errors: results.filter((r) => r.status === 0).length,
    attempts: stat(results.map((r) => r.attempts)),
    served_ttft_ms: stat(served.map((r) => r.ttftMs)),
    time_to_429_ms: stat(refused.map((r) => r.endMs)),
    retry_after_ms: stat(refused.filter((r) => r.retryAfterMs !== null).map((r) => r.retryAfterMs)),
    queued_comments: {
      streams_with_comments: served.filter((r) => r.queuedComments > 0).length,
      total: served.reduce((a, r) => a + r.queuedComments, 0),
    },
    health_ms: { ...stat(health.latencies), failures: health.failures },
    makespan_s: round(makespanMs / 1000),
  };
}

function markdown(cfg, env, phases) {
  const rows = phases.map((p) => [
    p.phase,
    String(p.requests),
    String(p.served),
    `${p.refused_429} (${p.refused_429_with_retry_after} with Retry-After)`,
    String(p.server_errors_5xx + p.stream_errors + p.transport_errors),
    `${fmt(p.served_ttft_ms.p50 / 1000, 2)} / ${fmt(p.served_ttft_ms.p99 / 1000, 2)} s`,
    p.refused_429 ? `${fmt(p.time_to_429_ms.p50)} / ${fmt(p.time_to_429_ms.p99)} ms` : '',
    `${fmt(p.attempts.mean, 2)} / ${p.attempts.max}`,
    `${p.queued_comments.streams_with_comments}`,
    `${fmt(p.health_ms.p50)} / ${fmt(p.health_ms.p99)} / ${fmt(p.health_ms.max)} ms`,
    `${fmt(p.makespan_s)} s`,
  ]);
  return [
    '# Overload benchmark',
    '',
    `${cfg.streams} streaming chat completions sent at once by ${cfg.users} users (API keys, round robin) to ` +
      `${MODEL_ID} on ${cfg.slots} slots (one inference worker, 1 llama.cpp thread), max_tokens ${cfg.maxTokens}. ` +
      'Whole platform as processes (auth, inference worker, gateway, private redis-server). Phases: `bounded` ' +
      '(default max_queue = 4 x slots, max_user_share 0.5, no client retries), `bounded+retry` (clients honour ' +
      'Retry-After until served), `unbounded` (max_queue 100,000, max_user_share 1: the behaviour before ' +
      'bounded queues, the baseline).',
    '',
    `Machine: ${env.cpu_count} x ${env.cpu_model}, node ${env.node}, commit ${env.git_commit?.slice(0, 10)}` +
      `${env.git_dirty ? ' (dirty)' : ''}, ${env.date}.`,
    '',
    markdownTable(
      [
        'phase',
        'requests',
        'served',
        '429',
        '5xx / broken streams',
        'served TTFT p50 / p99',
        'time to 429 p50 / p99',
        'attempts mean / max',
        'streams that saw `: queued`',
        '/health p50 / p99 / max',
        'makespan',
      ],
      rows,
    ),
    '',
    'Target: 0 5xx, every request served or refused with 429 + Retry-After, served TTFT p99 <= 5 s.',
  ].join('\n');
}

async function main() {
  const opts = parseArgs(process.argv.slice(2), {
    streams: 300,
    users: 6,
    slots: 8,
    maxTokens: 64,
    retryWindowS: 300,
    redisUrl: '',
    pgAdminUrl: process.env.PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    quick: false,
  });
  const cfg = {
    ...opts,
    streams: opts.quick ? Math.min(opts.streams, 80) : opts.streams,
    distDir: join(REPO_ROOT, 'dist'),
  };
  const env = environment();
  const runId = `bench-${Date.now()}`;
  const scratch = join(tmpdir(), `${runId}-overload`);
  mkdirSync(scratch, { recursive: true });
  let auth = null;
  const run = await startRun({ scratch, redisUrl: opts.redisUrl, keys: `${runId}-*`, database: () => auth });
  cfg.redisUrl = run.redisUrl;
  const phases = [];
  try {
    auth = await authDatabase(runId, opts.pgAdminUrl);
    for (const [i, phase] of PHASES.entries()) {
      const t = performance.now();
      const s = await runPhase(cfg, phase, i, runId, scratch, auth);
      phases.push(s);
      console.log(
        `${phase.name.padEnd(14)} served ${s.served}/${s.requests}, 429 ${s.refused_429} ` +
          `(${s.refused_429_with_retry_after} with Retry-After), 5xx ${s.server_errors_5xx}, broken ${s.stream_errors}, ` +
          `TTFT p50/p99 ${fmt(s.served_ttft_ms.p50)}/${fmt(s.served_ttft_ms.p99)} ms, /health p99 ` +
          `${fmt(s.health_ms.p99)} ms (${fmt((performance.now() - t) / 1000)} s, load ${loadavg()[0].toFixed(2)})`,
      );
    }
  } finally {
    await run.cleanup();
  }
  const shown = { ...cfg, distDir: 'dist' };
  const files = await writeResults('overload', { config: shown, environment: env, phases }, markdown(cfg, env, phases));
  console.log(`wrote ${files.join(', ')}`);
}

await main();
