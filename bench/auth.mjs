// Auth benchmark: what API-key authentication and rate limiting cost on a request that does nothing else.
//
//   npm run bench -- auth [--rounds 2] [--duration 10] [--connections 32] [--quick]
//
// GET /v1/models (answered from the gateway's model catalog: no inference, no worker) against the built gateway,
// in two setups of the same build, same route, same request bytes (the Authorization header is sent to both):
//   baseline: AUTH_REQUIRED=false, no credential checked, no limits;
//   auth:     as in production, an API key minted through the public API by the admin of a throw-away database;
//             the key's principal is cached in the gateway, every request hashes the key and takes one unit from
//             the key's and the user's request buckets (token buckets at cost 0) in one atomic Lua call in Redis.
// The key and its user get limits high enough never to refuse, so the limiter runs on every request (counted from
// Redis's command statistics) but never throttles. The auth app, its database and a private redis-server run
// throughout; the gateway is started fresh for each phase, one gateway at a time, and the two setups alternate
// (baseline then auth, auth then baseline, ...) because this machine is shared and noisy.
// Each phase: a warm-up, a closed-loop throughput run (autocannon, keep-alive, pipelining 1, 32 connections), then
// one request at a time (1 connection), where latency is not queueing behind the other connections: what auth adds
// to each request. (autocannon's rate option is no steady rate: each connection sends its quota for the second
// back-to-back, then pauses.) CPU of every process from /proc.
// Writes bench/results/auth.json and .md. Never fails on timing.
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import {
  REPO_ROOT,
  cpuDelta,
  environment,
  fmt,
  machineBusyMs,
  markdownTable,
  median,
  parseArgs,
  procCpuMs,
  round,
  runMain,
  stat,
  withOthers,
  writeResults,
} from './lib/common.mjs';
import { authDatabase, freePort, postgresCpuMs, startApp, startRun, waitReady } from './lib/platform.mjs';

const ROUTE = '/v1/models';
const TARGETS = { reqPerGatewayCore: 3000, addedP99Ms: 2 };
// Limits that the limiter checks on every request but that a run can never exhaust: buckets hold a minute's
// allowance and refill continuously; a run sends a few hundred thousand requests at most.
const KEY_LIMITS = { rpm: 1_000_000, tpm: 1_000_000_000 }; // the API's maxima for a key
const USER_LIMITS = { rpm_limit: 100_000_000, tpm_limit: 1_000_000_000 };

/** Where the built apps are: dist/ (from `node infra/scripts/build.mjs`), or another build given with --dist. */
let distDir = join(REPO_ROOT, 'dist');

async function api(method, url, body, headers = {}) {
  const res = await fetch(url, {
    method,
    headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) };
}

/**
 * As an operator would: the admin logs in, raises their own limits, and creates an API key with high limits.
 * Returns the key and the limits the gateway then applies to it.
 */
async function mintKey(gatewayUrl, admin) {
  const login = await api('POST', `${gatewayUrl}/v1/auth/token`, admin);
  if (login.status !== 200) throw new Error(`admin login answered ${login.status}: ${login.text}`);
  const bearer = { authorization: `Bearer ${login.json().access_token}` };
  const me = await api('GET', `${gatewayUrl}/v1/auth/me`, null, bearer);
  if (me.status !== 200) throw new Error(`GET /v1/auth/me answered ${me.status}: ${me.text}`);
  const userId = me.json().id;
  const patched = await api('PATCH', `${gatewayUrl}/v1/admin/users/${userId}`, USER_LIMITS, bearer);
  if (patched.status !== 200) throw new Error(`raising the admin's limits answered ${patched.status}: ${patched.text}`);
  const created = await api('POST', `${gatewayUrl}/v1/api-keys`, { name: 'bench-auth', ...KEY_LIMITS }, bearer);
  if (created.status !== 201) throw new Error(`creating an API key answered ${created.status}: ${created.text}`);
  const { key, id } = created.json();
  return { key, keyId: id, userId };
}

// ---------------------------------------------------------------------------------------------------------------
// Load: autocannon in this process, keep-alive connections, pipelining 1. Latencies are recorded exactly (floats,
// ms) from its per-response events; its own histogram keeps whole milliseconds, too coarse for a 2 ms budget.

function load(url, headers, { connections, duration }) {
  return new Promise((resolvePromise, reject) => {
    const samples = [];
    const instance = autocannon(
      {
        url,
        method: 'GET',
        headers,
        connections,
        pipelining: 1,
        duration,
      },
      (err, result) => (err ? reject(err) : resolvePromise({ result, samples })),
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) samples.push(responseTime);
    });
  });
}

/** Redis's cumulative command statistics: calls and µs per command (commands run inside Lua scripts included). */
async function commandStats(redis) {
  const out = {};
  for (const line of (await redis.info('commandstats')).split('\n')) {
    const m = /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/.exec(line.trim());
    if (m) out[m[1]] = { calls: Number(m[2]), usec: Number(m[3]) };
  }
  return out;
}

function commandDelta(before, after, requests) {
  const calls = (s, names) =>
    Object.entries(s)
      .filter(([k]) => !names || names.includes(k))
      .reduce((a, [, v]) => a + v.calls, 0);
  const usec = (s, names) =>
    Object.entries(s)
      .filter(([k]) => names.includes(k))
      .reduce((a, [, v]) => a + v.usec, 0);
  const scripts = ['evalsha', 'eval', 'evalsha_ro', 'eval_ro', 'fcall'];
  // The probes' own INFO calls are left out.
  const commands = calls(after) - calls(before) - 1;
  const scriptCalls = calls(after, scripts) - calls(before, scripts);
  return {
    commands_per_request: round(commands / requests, 2),
    rate_limit_script_calls_per_request: round(scriptCalls / requests, 3),
    rate_limit_script_us_per_call:
      scriptCalls / requests > 0.5 ? round((usec(after, scripts) - usec(before, scripts)) / scriptCalls, 2) : null,
  };
}

/** Kernel (system) share of a thread's CPU time (ms): its syscalls, socket I/O included; null where unknown. */
function procKernelMs(pid, tid) {
  try {
    const text = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const user = Number(fields[11]);
    const sys = Number(fields[12]);
    return user + sys > 0 ? (procCpuMs(pid, tid) * sys) / (user + sys) : 0;
  } catch {
    return null;
  }
}

const LATENCY_PERCENTILES = [50, 90, 99, 99.9];

/** One measured run against the gateway: figures, exact latency samples (kept apart, not written out). */
async function measure(ctx, gateway, spec) {
  const cmdBefore = await commandStats(ctx.redis);
  const cpuBefore = ctx.probe(gateway);
  const t0 = performance.now();
  const { result, samples } = await load(`${gateway.url}${ROUTE}`, ctx.headers, spec);
  const wallMs = performance.now() - t0;
  const cpuAfter = ctx.probe(gateway);
  const cmdAfter = await commandStats(ctx.redis);
  const requests = result.requests.total;
  // The gateway's main thread is a part of the gateway.
  const cores = withOthers(cpuDelta(cpuBefore, cpuAfter, wallMs), (k) => k.startsWith('gateway main thread'));
  const perRequestUs = (k) =>
    cpuBefore[k] == null || cpuAfter[k] == null ? null : round(((cpuAfter[k] - cpuBefore[k]) * 1000) / requests, 1);
  const gatewayCpuS = (cpuAfter.gateway - cpuBefore.gateway) / 1000;
  const mainCpuS = (cpuAfter['gateway main thread'] - cpuBefore['gateway main thread']) / 1000;
  return {
    figures: {
      connections: spec.connections,
      duration_s: spec.duration,
      requests,
      ok_2xx: result['2xx'],
      non_2xx: result.non2xx,
      errors: result.errors,
      timeouts: result.timeouts,
      wall_ms: round(wallMs, 1),
      req_s: round(requests / (wallMs / 1000), 1),
      req_s_per_gateway_core: round(requests / gatewayCpuS, 1),
      req_s_per_gateway_main_thread_core: round(requests / mainCpuS, 1),
      latency_ms: stat(samples, LATENCY_PERCENTILES),
      autocannon_latency_ms: {
        p50: result.latency.p50,
        p99: result.latency.p99,
        mean: result.latency.mean,
        max: result.latency.max,
      },
      response_bytes: round(result.throughput.total / Math.max(1, requests), 1),
      cpu_cores: cores,
      cpu_us_per_request: {
        gateway: perRequestUs('gateway'),
        'gateway main thread': perRequestUs('gateway main thread'),
        'gateway main thread, in the kernel': perRequestUs('gateway main thread, in the kernel'),
        redis: perRequestUs('redis'),
        auth: perRequestUs('auth'),
        'bench client (autocannon)': perRequestUs('bench client (autocannon)'),
      },
      redis: commandDelta(cmdBefore, cmdAfter, requests),
    },
    samples,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Phases.

async function startGateway(ctx, authRequired, nodeArgs = []) {
  const t0 = performance.now();
  const gateway = startApp(
    distDir,
    'api-gateway',
    { ...ctx.baseEnv, PORT: String(await freePort()), HOST: '127.0.0.1', AUTH_REQUIRED: String(authRequired) },
    nodeArgs,
  );
  try {
    await waitReady(gateway);
  } catch (err) {
    await gateway.stop();
    throw err;
  }
  return { gateway, startMs: performance.now() - t0 };
}

/** What each setup must show before it is measured: the baseline serves without a credential, auth does not. */
async function checkSetup(ctx, gateway, side) {
  const anonymous = await api('GET', `${gateway.url}${ROUTE}`);
  const withKey = await api('GET', `${gateway.url}${ROUTE}`, null, ctx.headers);
  if (withKey.status !== 200) throw new Error(`GET ${ROUTE} with the key answered ${withKey.status}: ${withKey.text}`);
  if (side === 'baseline') {
    if (anonymous.status !== 200) {
      throw new Error(
        `GET ${ROUTE} without a credential answered ${anonymous.status} with AUTH_REQUIRED=false: this build's ` +
          'gateway does not support it (rebuild: node infra/scripts/build.mjs)',
      );
    }
    return { anonymous: anonymous.status, with_key: withKey.status, ratelimit_headers: null };
  }
  if (anonymous.status !== 401) throw new Error(`GET ${ROUTE} without a credential answered ${anonymous.status}`);
  const limit = withKey.headers.get('x-ratelimit-limit-requests');
  if (!limit) throw new Error(`GET ${ROUTE} with the key carried no x-ratelimit-* headers: no limits applied`);
  return {
    anonymous: anonymous.status,
    with_key: withKey.status,
    ratelimit_headers: {
      limit_requests: Number(limit),
      remaining_requests: Number(withKey.headers.get('x-ratelimit-remaining-requests')),
      limit_tokens: Number(withKey.headers.get('x-ratelimit-limit-tokens')),
    },
  };
}

async function runSide(ctx, side) {
  const { gateway, startMs } = await startGateway(ctx, side === 'auth');
  try {
    const setup = await checkSetup(ctx, gateway, side);
    const spec = ctx.cfg;
    // Warm-up: JIT, connections, the principal cache (auth).
    await load(`${gateway.url}${ROUTE}`, ctx.headers, { connections: spec.connections, duration: spec.warmupS });
    await sleep(200);
    const throughput = await measure(ctx, gateway, { connections: spec.connections, duration: spec.durationS });
    await sleep(200);
    const sequential = await measure(ctx, gateway, {
      connections: 1,
      duration: spec.sequentialDurationS,
    });
    if (!gateway.alive()) throw new Error(`the gateway died during the benchmark:\n${gateway.output()}`);
    if (ctx.auth && !ctx.auth.alive()) throw new Error(`the auth app died during the benchmark:\n${ctx.auth.output()}`);
    return {
      result: {
        gateway_start_ms: round(startMs, 1),
        setup,
        throughput: throughput.figures,
        sequential: sequential.figures,
      },
      samples: { throughput: throughput.samples, sequential: sequential.samples },
    };
  } finally {
    await gateway.stop();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Where the time goes: one more saturated run per setup, after the measured rounds, with the gateway under V8's
// sampling profiler (--cpu-prof; it slows the process, so these runs are not part of the figures above). Only the
// samples of the load window count: the profile ends when the process exits, the window is placed back from there.

const PROFILE_INTERVAL_US = 500;

/** Where a function's code comes from: a package, a part of the build, Node itself, or V8. */
function profileCategory(frame) {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native: V8 builtins, C++ bindings)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  const built = /\/dist\/((?:apps|libs)\/[^/]+)(?:\/src\/([^/]+))?/.exec(url);
  if (built) return built[2] && !built[2].endsWith('.js') ? `${built[1]}/${built[2]}` : built[1];
  if (url.startsWith('node:')) {
    const mod = /^node:(?:internal\/)?([^/]+)/.exec(url)[1];
    return `node: ${mod}`;
  }
  return url;
}

/**
 * Self time per function over the load window. Each sample counts one interval: V8 samples on a wall-clock timer
 * but a thread that is not running takes no sample, so counts follow the thread's CPU time (checked against
 * /proc) where the gaps between samples would also count the time it waited for a core.
 */
function summarizeProfile(file, windowMs, exitLagMs, requests, procMainUsPerRequest) {
  const prof = JSON.parse(readFileSync(file, 'utf8'));
  const nodes = new Map(prof.nodes.map((n) => [n.id, n]));
  const windowEnd = prof.endTime - exitLagMs * 1000;
  const windowStart = windowEnd - windowMs * 1000;
  const selfUs = new Map();
  let t = prof.startTime;
  for (let i = 0; i < prof.samples.length; i++) {
    t += prof.timeDeltas[i];
    if (t < windowStart || t > windowEnd) continue;
    selfUs.set(prof.samples[i], (selfUs.get(prof.samples[i]) ?? 0) + PROFILE_INTERVAL_US);
  }
  const byCategory = {};
  const byFunction = {};
  for (const [id, us] of selfUs) {
    const frame = nodes.get(id).callFrame;
    const cat = profileCategory(frame);
    byCategory[cat] = (byCategory[cat] ?? 0) + us;
    if (cat.startsWith('(') && !cat.startsWith('(native')) continue;
    const fn = `${frame.functionName || '(anonymous)'} ${cat}${frame.url ? `:${frame.lineNumber + 1}` : ''}`;
    byFunction[fn] = (byFunction[fn] ?? 0) + us;
  }
  const perRequest = (o) =>
    Object.fromEntries(
      Object.entries(o)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => [k, round(v / requests, 2)]),
    );
  const idle = byCategory['(idle)'] ?? 0;
  const busy = Object.values(byCategory).reduce((a, b) => a + b, 0) - idle;
  return {
    requests,
    window_ms: round(windowMs, 1),
    main_thread_busy_share: round(busy / (windowMs * 1000), 3),
    busy_us_per_request: round(busy / requests, 1),
    main_thread_cpu_us_per_request_from_proc: round(procMainUsPerRequest, 1),
    us_per_request_by_category: perRequest(byCategory),
    // Functions under 0.05 µs per request are left out.
    us_per_request_by_function: Object.fromEntries(Object.entries(perRequest(byFunction)).filter(([, v]) => v >= 0.05)),
  };
}

async function profileSide(ctx, side, dir) {
  mkdirSync(dir, { recursive: true });
  const nodeArgs = ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-interval', String(PROFILE_INTERVAL_US)];
  const { gateway } = await startGateway(ctx, side === 'auth', nodeArgs);
  let requests;
  let procMainUs;
  let runStart;
  let runEnd;
  try {
    const spec = { connections: ctx.cfg.connections, duration: ctx.cfg.profileDurationS };
    await load(`${gateway.url}${ROUTE}`, ctx.headers, { ...spec, duration: ctx.cfg.warmupS });
    await sleep(200);
    const pid = gateway.proc.pid;
    const cpuBefore = procCpuMs(pid, pid);
    runStart = performance.now();
    const { result } = await load(`${gateway.url}${ROUTE}`, ctx.headers, spec);
    runEnd = performance.now();
    requests = result.requests.total;
    procMainUs = ((procCpuMs(pid, pid) - cpuBefore) * 1000) / requests;
  } finally {
    await gateway.stop();
  }
  const exitLagMs = performance.now() - runEnd;
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`the profiled gateway wrote no profile in ${dir}:\n${gateway.output()}`);
  return summarizeProfile(join(dir, file), runEnd - runStart, exitLagMs, requests, procMainUs);
}

function profileComparison(profile) {
  const b = profile.baseline;
  const a = profile.auth;
  const diff = (key, n) =>
    [...new Set([...Object.keys(b[key]), ...Object.keys(a[key])])]
      .map((k) => [k, round((a[key][k] ?? 0) - (b[key][k] ?? 0), 2)])
      .sort((x, y) => Math.abs(y[1]) - Math.abs(x[1]))
      .slice(0, n);
  return {
    added_busy_us_per_request: round(a.busy_us_per_request - b.busy_us_per_request, 1),
    added_us_per_request_by_category: Object.fromEntries(diff('us_per_request_by_category', 40)),
    added_us_per_request_by_function: Object.fromEntries(diff('us_per_request_by_function', 15)),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Summary and report.

const PHASES = ['throughput', 'sequential'];
const SIDES = ['baseline', 'auth'];

function summarize(rounds, samples) {
  const sides = {};
  for (const side of SIDES) {
    const of = (phase) => rounds.map((r) => r[side][phase]);
    const med = (phase, pick) => round(median(of(phase).map(pick)), 2);
    const s = {};
    for (const phase of PHASES) {
      const runs = of(phase);
      s[phase] = {
        req_s: med(phase, (f) => f.req_s),
        req_s_per_gateway_core: med(phase, (f) => f.req_s_per_gateway_core),
        req_s_per_gateway_main_thread_core: med(phase, (f) => f.req_s_per_gateway_main_thread_core),
        // Pooled over rounds.
        latency_ms: stat(samples[side][phase].flat(), LATENCY_PERCENTILES),
        requests: runs.reduce((a, f) => a + f.requests, 0),
        non_2xx: runs.reduce((a, f) => a + f.non_2xx, 0),
        errors: runs.reduce((a, f) => a + f.errors, 0),
        timeouts: runs.reduce((a, f) => a + f.timeouts, 0),
        response_bytes: med(phase, (f) => f.response_bytes),
        cpu_cores: Object.fromEntries(
          Object.keys(runs[0].cpu_cores).map((k) => [k, med(phase, (f) => f.cpu_cores[k])]),
        ),
        cpu_us_per_request: Object.fromEntries(
          Object.keys(runs[0].cpu_us_per_request).map((k) => [k, med(phase, (f) => f.cpu_us_per_request[k])]),
        ),
        redis: Object.fromEntries(Object.keys(runs[0].redis).map((k) => [k, med(phase, (f) => f.redis[k])])),
      };
    }
    sides[side] = s;
  }
  const b = sides.baseline;
  const a = sides.auth;
  const added = (phase, p) => round(a[phase].latency_ms[p] - b[phase].latency_ms[p]);
  const perRoundAdded = (phase, p) =>
    rounds.map((r) => round(r.auth[phase].latency_ms[p] - r.baseline[phase].latency_ms[p]));
  const failures = SIDES.flatMap((s) =>
    PHASES.map((p) => sides[s][p].non_2xx + sides[s][p].errors + sides[s][p].timeouts),
  );
  const comparison = {
    throughput_ratio: round(a.throughput.req_s / b.throughput.req_s),
    throughput_ratio_per_round_median: round(
      median(rounds.map((r) => r.auth.throughput.req_s / r.baseline.throughput.req_s)),
    ),
    per_core_ratio: round(a.throughput.req_s_per_gateway_core / b.throughput.req_s_per_gateway_core),
    added_gateway_cpu_us_per_request: round(
      a.throughput.cpu_us_per_request.gateway - b.throughput.cpu_us_per_request.gateway,
      1,
    ),
    added_redis_cpu_us_per_request: round(
      a.throughput.cpu_us_per_request.redis - b.throughput.cpu_us_per_request.redis,
      1,
    ),
    added_latency_ms: {
      saturated: { p50: added('throughput', 'p50'), p99: added('throughput', 'p99') },
      sequential: { p50: added('sequential', 'p50'), p99: added('sequential', 'p99') },
    },
    added_p99_per_round_ms: {
      saturated: perRoundAdded('throughput', 'p99'),
      sequential: perRoundAdded('sequential', 'p99'),
    },
  };
  comparison.targets = {
    req_s_per_gateway_core: {
      target: `>= ${TARGETS.reqPerGatewayCore}`,
      value: a.throughput.req_s_per_gateway_core,
      met: a.throughput.req_s_per_gateway_core >= TARGETS.reqPerGatewayCore,
    },
    added_p99_saturated_ms: {
      target: `<= ${TARGETS.addedP99Ms}`,
      value: comparison.added_latency_ms.saturated.p99,
      met: comparison.added_latency_ms.saturated.p99 <= TARGETS.addedP99Ms,
    },
    added_p99_sequential_ms: {
      target: `<= ${TARGETS.addedP99Ms}`,
      value: comparison.added_latency_ms.sequential.p99,
      met: comparison.added_latency_ms.sequential.p99 <= TARGETS.addedP99Ms,
    },
    failed_requests: { target: '0', value: failures.reduce((x, y) => x + y, 0), met: failures.every((x) => x === 0) },
  };
  return { baseline: b, auth: a, comparison };
}

const yes = (m) => (m ? 'yes' : '**no**');
const signed = (x, digits = 2) => `${x >= 0 ? '+' : ''}${fmt(x, digits)}`;
const pct = (x) => `${fmt(x * 100)}%`;

function mainRows(cfg, s) {
  const { baseline: b, auth: a, comparison: c } = s;
  const t = c.targets;
  const fails = (x) => `${x.non_2xx} / ${x.errors} / ${x.timeouts}`;
  return [
    [
      `throughput, ${cfg.connections} connections (req/s)`,
      fmt(b.throughput.req_s, 0),
      fmt(a.throughput.req_s, 0),
      pct(c.throughput_ratio),
      '(info)',
      '-',
    ],
    [
      'req/s per core of gateway CPU (all its threads)',
      fmt(b.throughput.req_s_per_gateway_core, 0),
      fmt(a.throughput.req_s_per_gateway_core, 0),
      pct(c.per_core_ratio),
      `≥ ${TARGETS.reqPerGatewayCore.toLocaleString('en-US')}`,
      yes(t.req_s_per_gateway_core.met),
    ],
    [
      'req/s per core of the gateway main thread',
      fmt(b.throughput.req_s_per_gateway_main_thread_core, 0),
      fmt(a.throughput.req_s_per_gateway_main_thread_core, 0),
      pct(a.throughput.req_s_per_gateway_main_thread_core / b.throughput.req_s_per_gateway_main_thread_core),
      '(info)',
      '-',
    ],
    [
      'gateway CPU (cores: process / main thread)',
      `${fmt(b.throughput.cpu_cores.gateway, 2)} / ${fmt(b.throughput.cpu_cores['gateway main thread'], 2)}`,
      `${fmt(a.throughput.cpu_cores.gateway, 2)} / ${fmt(a.throughput.cpu_cores['gateway main thread'], 2)}`,
      '',
      '(info)',
      '-',
    ],
    [
      'gateway CPU per request (µs)',
      fmt(b.throughput.cpu_us_per_request.gateway, 1),
      fmt(a.throughput.cpu_us_per_request.gateway, 1),
      signed(c.added_gateway_cpu_us_per_request, 1),
      '(info)',
      '-',
    ],
    [
      'latency p50, saturated (ms)',
      fmt(b.throughput.latency_ms.p50, 2),
      fmt(a.throughput.latency_ms.p50, 2),
      signed(c.added_latency_ms.saturated.p50),
      '(info)',
      '-',
    ],
    [
      'latency p99, saturated (ms)',
      fmt(b.throughput.latency_ms.p99, 2),
      fmt(a.throughput.latency_ms.p99, 2),
      signed(c.added_latency_ms.saturated.p99),
      `≤ +${TARGETS.addedP99Ms} ms`,
      yes(t.added_p99_saturated_ms.met),
    ],
    [
      'latency p50, one request at a time (ms)',
      fmt(b.sequential.latency_ms.p50, 2),
      fmt(a.sequential.latency_ms.p50, 2),
      signed(c.added_latency_ms.sequential.p50),
      '(info)',
      '-',
    ],
    [
      'latency p99, one request at a time (ms)',
      fmt(b.sequential.latency_ms.p99, 2),
      fmt(a.sequential.latency_ms.p99, 2),
      signed(c.added_latency_ms.sequential.p99),
      `≤ +${TARGETS.addedP99Ms} ms`,
      yes(t.added_p99_sequential_ms.met),
    ],
    [
      'non-2xx / errors / timeouts (all phases)',
      `${fails(b.throughput)}; ${fails(b.sequential)}`,
      `${fails(a.throughput)}; ${fails(a.sequential)}`,
      '',
      '0',
      yes(t.failed_requests.met),
    ],
    [
      'rate-limit Lua calls in Redis per request',
      fmt(b.throughput.redis.rate_limit_script_calls_per_request, 3),
      fmt(a.throughput.redis.rate_limit_script_calls_per_request, 3),
      '',
      '1 with auth',
      yes(Math.abs(a.throughput.redis.rate_limit_script_calls_per_request - 1) < 0.01),
    ],
    [
      'auth app CPU during the phase (cores)',
      fmt(b.throughput.cpu_cores.auth, 2),
      fmt(a.throughput.cpu_cores.auth, 2),
      '',
      '~0 (keys cached)',
      yes(a.throughput.cpu_cores.auth < 0.02),
    ],
  ];
}

function markdown(cfg, env, s, rounds, profile) {
  const { baseline: b, auth: a, comparison: c } = s;
  const cpuKeys = Object.keys(a.throughput.cpu_us_per_request);
  const coreKeys = Object.keys(a.throughput.cpu_cores);
  const roundRows = rounds.map((r) => [
    String(r.round),
    r.order,
    fmt(r.baseline.throughput.req_s, 0),
    fmt(r.auth.throughput.req_s, 0),
    fmt(r.baseline.throughput.req_s_per_gateway_core, 0),
    fmt(r.auth.throughput.req_s_per_gateway_core, 0),
    `${fmt(r.baseline.throughput.latency_ms.p50, 2)} / ${fmt(r.baseline.throughput.latency_ms.p99, 2)}`,
    `${fmt(r.auth.throughput.latency_ms.p50, 2)} / ${fmt(r.auth.throughput.latency_ms.p99, 2)}`,
    `${fmt(r.baseline.sequential.latency_ms.p50, 2)} / ${fmt(r.baseline.sequential.latency_ms.p99, 2)}`,
    `${fmt(r.auth.sequential.latency_ms.p50, 2)} / ${fmt(r.auth.sequential.latency_ms.p99, 2)}`,
    fmt(r.baseline.throughput.cpu_cores['other processes'], 2),
    fmt(r.auth.throughput.cpu_cores['other processes'], 2),
  ]);
  return [
    '# Auth benchmark: authenticated, rate-limited no-op request against the same route unauthenticated',
    '',
    `\`GET ${ROUTE}\` (the model catalog, no inference) on the built gateway, ${cfg.rounds} round(s), the two setups ` +
      'alternating (one gateway process at a time, started fresh for each phase). **Baseline**: `AUTH_REQUIRED=false` ' +
      '(no credential checked, no limits). **With auth**: an API key minted by the admin through the public API; ' +
      'every request hashes the key, finds its principal in the gateway cache and takes from the key and user buckets ' +
      `in one Lua call in Redis (key ${KEY_LIMITS.rpm.toLocaleString('en-US')} rpm, user ` +
      `${USER_LIMITS.rpm_limit.toLocaleString('en-US')} rpm: checked on every request, never refused). Both send the ` +
      `same request, \`Authorization: Bearer sk-…\` included. Load: autocannon in the benchmark process, keep-alive, ` +
      `pipelining 1; per phase ${cfg.warmupS} s warm-up, then **saturated**: ${cfg.connections} connections for ` +
      `${cfg.durationS} s (closed loop: latency there is mostly queueing, connections / throughput), then ` +
      `**one request at a time** (1 connection) for ${cfg.sequentialDurationS} s: no queueing, the latency auth adds ` +
      'to each request. ' +
      'Throughput and CPU: median of rounds; latency percentiles: every response of all rounds pooled, measured ' +
      'exactly (autocannon histograms keep whole milliseconds). Req/s per core = requests / gateway CPU seconds ' +
      '(from /proc; the gateway is one Node process, its JavaScript single-threaded). ' +
      `Private ${cfg.redis}; auth app on a throw-away Postgres database.`,
    '',
    `${env.date}, commit ${env.git_commit?.slice(0, 12) ?? 'unknown'}${env.git_dirty ? ' (dirty tree)' : ''}, ` +
      `${env.cpu_model} x ${env.cpu_count}, Node ${env.node}, fastify ${env.packages.fastify}, ioredis ` +
      `${env.packages.ioredis}, autocannon ${cfg.autocannon}, load average at start ` +
      `${env.load_average_at_start.join(' / ')}, at end ${env.load_average_at_end.join(' / ')}.`,
    '',
    markdownTable(['metric', 'baseline', 'with auth', 'added / ratio', 'target', 'met?'], mainRows(cfg, s)),
    '',
    '## Where the time goes (saturated phase, CPU µs per request, median of rounds)',
    '',
    markdownTable(
      ['process', 'baseline', 'with auth', 'added'],
      cpuKeys.map((k) => [
        k,
        fmt(b.throughput.cpu_us_per_request[k], 1),
        fmt(a.throughput.cpu_us_per_request[k], 1),
        signed(a.throughput.cpu_us_per_request[k] - b.throughput.cpu_us_per_request[k], 1),
      ]),
    ),
    '',
    `Redis per request: ${fmt(b.throughput.redis.commands_per_request, 2)} commands (baseline) against ` +
      `${fmt(a.throughput.redis.commands_per_request, 2)} with auth (the Lua call and the commands it runs), ` +
      `${fmt(a.throughput.redis.rate_limit_script_us_per_call, 1)} µs inside Redis per rate-limit call. ` +
      `Response: ${fmt(b.throughput.response_bytes, 0)} bytes (baseline) / ${fmt(a.throughput.response_bytes, 0)} ` +
      'bytes with auth (the x-ratelimit-* headers).',
    '',
    '## CPU: cores used per process (saturated phase, median of rounds; 2 cores = the whole machine)',
    '',
    markdownTable(
      ['setup', ...coreKeys],
      SIDES.map((side) => [side, ...coreKeys.map((k) => fmt(s[side].throughput.cpu_cores[k], 2))]),
    ),
    '',
    '## Rounds',
    '',
    markdownTable(
      [
        'round',
        'order',
        'req/s baseline',
        'req/s auth',
        'req/s/core baseline',
        'req/s/core auth',
        'saturated p50/p99 baseline',
        'saturated p50/p99 auth',
        'one at a time p50/p99 baseline',
        'one at a time p50/p99 auth',
        'other processes (cores) baseline',
        'other processes (cores) auth',
      ],
      roundRows,
    ),
    '',
    `Added p99 per round (ms): saturated ${c.added_p99_per_round_ms.saturated.map((x) => signed(x)).join(', ')}; ` +
      `one at a time ${c.added_p99_per_round_ms.sequential.map((x) => signed(x)).join(', ')}.`,
    '',
    ...(profile ? profileMarkdown(cfg, profile) : []),
  ].join('\n');
}

function profileMarkdown(cfg, profile) {
  const { baseline: b, auth: a, comparison: c } = profile;
  const cat = (p, k) => p.us_per_request_by_category[k] ?? 0;
  const fn = (p, k) => p.us_per_request_by_function[k] ?? 0;
  return [
    '## Where the time goes in the gateway: CPU profile of its main thread',
    '',
    `One more saturated run per setup after the rounds (${cfg.connections} connections, ${cfg.profileDurationS} s after ` +
      `a ${cfg.warmupS} s warm-up), the gateway under V8's sampling profiler (\`--cpu-prof\`, every ` +
      `${cfg.profileIntervalUs} µs; it slows the process, so these runs are not in the figures above). Self time ` +
      'in µs per request over the load window (samples x interval), by where the code comes from, largest ' +
      `differences first. Main thread busy ${fmt(b.busy_us_per_request, 1)} µs per request in the baseline ` +
      `(${pct(b.main_thread_busy_share)} of the window; /proc: ${fmt(b.main_thread_cpu_us_per_request_from_proc, 1)} ` +
      `µs of CPU) against ${fmt(a.busy_us_per_request, 1)} µs with auth (${pct(a.main_thread_busy_share)}; /proc: ` +
      `${fmt(a.main_thread_cpu_us_per_request_from_proc, 1)} µs): ${signed(c.added_busy_us_per_request, 1)} µs. ` +
      'Native frames include the system calls they make (a socket write runs the loopback TCP stack in the kernel).',
    '',
    markdownTable(
      ['code', 'baseline', 'with auth', 'added'],
      Object.entries(c.added_us_per_request_by_category)
        .filter(([k, v]) => k !== '(idle)' && (Math.abs(v) >= 0.5 || cat(b, k) >= 2))
        .map(([k, v]) => [k, fmt(cat(b, k), 1), fmt(cat(a, k), 1), signed(v, 1)]),
    ),
    '',
    'Functions whose self time changed most (µs per request):',
    '',
    markdownTable(
      ['function', 'baseline', 'with auth', 'added'],
      Object.entries(c.added_us_per_request_by_function)
        .slice(0, 12)
        .map(([k, v]) => [`\`${k.replace(/\|/g, '\\|')}\``, fmt(fn(b, k), 1), fmt(fn(a, k), 1), signed(v, 1)]),
    ),
    '',
  ];
}

function printSummary(cfg, s, profile) {
  console.log('');
  const rows = mainRows(cfg, s);
  console.table(
    Object.fromEntries(
      rows.map(([metric, base, auth, added, target, met]) => [
        metric,
        { baseline: base, 'with auth': auth, 'added/ratio': added, target, 'met?': met.replace(/\*/g, '') },
      ]),
    ),
  );
  const { baseline: b, auth: a } = s;
  console.log('CPU µs per request, saturated (baseline -> with auth):');
  for (const k of Object.keys(a.throughput.cpu_us_per_request)) {
    console.log(
      `  ${k.padEnd(36)} ${fmt(b.throughput.cpu_us_per_request[k], 1).padStart(7)} -> ${fmt(a.throughput.cpu_us_per_request[k], 1)}`,
    );
  }
  if (!profile) return;
  console.log(
    `Gateway main thread, profiled: ${fmt(profile.baseline.busy_us_per_request, 1)} -> ` +
      `${fmt(profile.auth.busy_us_per_request, 1)} µs busy per request; largest differences (µs per request):`,
  );
  for (const [k, v] of Object.entries(profile.comparison.added_us_per_request_by_category).slice(0, 10)) {
    if (k !== '(idle)') console.log(`  ${signed(v, 1).padStart(7)}  ${k}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------

async function main() {
  const opts = parseArgs(process.argv.slice(2), {
    rounds: 2,
    duration: 10,
    warmup: 2,
    connections: 32,
    sequentialDuration: 5,
    // One more saturated run per setup under the V8 profiler, to say where the added time goes (--profile=false: skip).
    profile: true,
    quick: false,
    // Empty: a private redis-server for the run; else the Redis at this URL.
    redisUrl: '',
    pgAdminUrl: process.env.PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    modelsConfig: 'infra/config/models.yaml',
    dist: 'dist',
    help: false,
  });
  if (opts.help) {
    console.log(
      'Usage: npm run bench -- auth [--rounds N] [--duration S] [--warmup S] [--connections N] ' +
        '[--sequential-duration S] [--profile=false] [--quick] [--redis-url URL] [--pg-admin-url URL] ' +
        '[--models-config FILE] [--dist DIR]',
    );
    return;
  }
  distDir = resolve(REPO_ROOT, opts.dist);
  const cfg = {
    route: ROUTE,
    rounds: opts.quick ? 1 : Math.max(1, Math.floor(opts.rounds)),
    durationS: opts.quick ? 3 : opts.duration,
    warmupS: opts.quick ? 1 : opts.warmup,
    connections: opts.connections,
    sequentialDurationS: opts.quick ? 2 : opts.sequentialDuration,
    profileDurationS: opts.quick ? 2 : 5,
    pipelining: 1,
    profile: opts.profile,
    profileIntervalUs: PROFILE_INTERVAL_US,
    keyLimits: KEY_LIMITS,
    userLimits: USER_LIMITS,
    modelsConfig: opts.modelsConfig,
    dist: distDir.startsWith(`${REPO_ROOT}/`) ? distDir.slice(REPO_ROOT.length + 1) : distDir,
    autocannon: JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', 'autocannon', 'package.json'), 'utf8')).version,
    redisUrl: opts.redisUrl,
  };
  const env = environment();

  const runId = `bench-${Date.now()}`;
  const scratch = join(tmpdir(), `${runId}-auth`);
  mkdirSync(scratch, { recursive: true });

  let database = null;
  const { redis, redisUrl, ownRedis, cleanup } = await startRun({
    scratch,
    redisUrl: cfg.redisUrl,
    keys: `${runId}*`,
    database: () => database,
  });
  cfg.redisUrl = redisUrl;
  cfg.redis = ownRedis ? `redis-server ${ownRedis.version}, no persistence` : `Redis at ${cfg.redisUrl}`;
  const redisPid = Number(/process_id:(\d+)/.exec(await redis.info('server'))?.[1]) || null;

  console.log(
    `auth benchmark: GET ${ROUTE}, ${cfg.rounds} round(s); per setup and round: ${cfg.warmupS} s warm-up, ` +
      `${cfg.durationS} s at ${cfg.connections} connections, ${cfg.sequentialDurationS} s one request at a time`,
  );
  const rounds = [];
  let profile = null;
  const samples = Object.fromEntries(SIDES.map((s) => [s, { throughput: [], sequential: [] }]));
  try {
    database = await authDatabase(runId, opts.pgAdminUrl);
    const { admin } = database;
    const baseEnv = {
      ...process.env,
      NODE_ENV: 'development', // AUTH_REQUIRED=false is refused in production
      LOG_LEVEL: 'warn',
      REDIS_URL: cfg.redisUrl,
      QUEUE_PREFIX: runId,
      MODELS_CONFIG: resolve(REPO_ROOT, cfg.modelsConfig),
      // The admin's credentials; the default user limits it sets are raised further for the admin below.
      ...database.env,
    };
    const auth = startApp(distDir, 'auth', { ...baseEnv, PORT: String(await freePort()) });
    await waitReady(auth);

    // The key, minted through a gateway of its own (stopped before anything is measured).
    const setup = await startGateway({ baseEnv }, true);
    let minted;
    try {
      minted = await mintKey(setup.gateway.url, admin);
    } finally {
      await setup.gateway.stop();
    }
    const ctx = {
      cfg,
      baseEnv,
      redis,
      auth,
      headers: { authorization: `Bearer ${minted.key}` },
      probe: (gateway) => {
        const client = process.cpuUsage();
        return {
          gateway: procCpuMs(gateway.proc.pid),
          'gateway main thread': procCpuMs(gateway.proc.pid, gateway.proc.pid),
          'gateway main thread, in the kernel': procKernelMs(gateway.proc.pid, gateway.proc.pid),
          redis: redisPid && ownRedis ? procCpuMs(redisPid) : null,
          auth: procCpuMs(auth.proc.pid),
          'postgres (auth database)': postgresCpuMs(database.database),
          'bench client (autocannon)': (client.user + client.system) / 1000,
          machine: machineBusyMs(),
        };
      },
    };

    for (let i = 1; i <= cfg.rounds; i++) {
      const order = i % 2 === 1 ? ['baseline', 'auth'] : ['auth', 'baseline'];
      const r = { round: i, order: order.join(' -> ') };
      for (const side of order) {
        const t0 = performance.now();
        const out = await runSide(ctx, side);
        r[side] = out.result;
        for (const p of PHASES) samples[side][p].push(out.samples[p]);
        const t = out.result.throughput;
        const f = out.result.sequential;
        console.log(
          `  round ${i} ${side.padEnd(8)}: ${fmt(t.req_s, 0)} req/s (${fmt(t.req_s_per_gateway_core, 0)} per gateway core, ` +
            `gateway ${fmt(t.cpu_cores.gateway, 2)} cores), p50/p99 ${fmt(t.latency_ms.p50, 2)}/${fmt(t.latency_ms.p99, 2)} ms; ` +
            `one at a time p50/p99 ${fmt(f.latency_ms.p50, 2)}/${fmt(f.latency_ms.p99, 2)} ms; ` +
            `non-2xx ${t.non_2xx + f.non_2xx} (${fmt((performance.now() - t0) / 1000)} s, load ${loadavg()[0].toFixed(2)})`,
        );
      }
      rounds.push(r);
    }
    if (cfg.profile) {
      profile = {};
      for (const side of SIDES) {
        profile[side] = await profileSide(ctx, side, join(scratch, `profile-${side}`));
        console.log(
          `  profile ${side.padEnd(8)}: gateway main thread ${fmt(profile[side].busy_us_per_request, 1)} µs busy per request ` +
            `(${pct(profile[side].main_thread_busy_share)} busy)`,
        );
      }
      profile.comparison = profileComparison(profile);
    }
  } finally {
    const deleted = await cleanup();
    console.log(`cleaned up: processes stopped, database dropped, ${deleted} Redis keys of ${runId}* deleted`);
  }
  env.load_average_at_end = loadavg().map((x) => round(x, 2));

  const summary = summarize(rounds, samples);
  printSummary(cfg, summary, profile);
  const config = { ...cfg };
  delete config.redisUrl;
  const json = { benchmark: 'auth', config, environment: env, targets: TARGETS, summary, rounds, profile };
  const files = await writeResults('auth', json, markdown(cfg, env, summary, rounds, profile));
  console.log(`\nwrote ${files.join(', ')}`);
}

await runMain(main);
