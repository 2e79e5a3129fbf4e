// Inference benchmark: the platform (HTTP gateway -> BullMQ -> inference worker -> Redis pub/sub -> SSE) against
// the ceiling, node-llama-cpp in-process, with the same model, context size, sequences and threads.
//
//   npm run bench -- inference [--model stories260k|synthetic-125m] [--rounds 4] [--quick]
//
// Measures (a) in-process decode throughput at concurrency 1 and 8, (b) the same through the platform over HTTP
// (streaming, keep-alive), (c) the time to first token the platform adds, p50 and p99. The two sides never run
// at the same time: the in-process side runs in its own process while the platform is stopped, and the rounds
// alternate their order (baseline then platform, platform then baseline, ...) because this machine is shared and
// noisy; throughputs are medians of rounds, TTFT percentiles pool the samples of all rounds.
// The platform runs as in production, one process per app (auth too, with an API key, when the build has it),
// against a private redis-server of the run. Writes bench/results/inference-<model>.json and .md. Never fails on
// timing.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import {
  REPO_ROOT,
  cpuDelta,
  environment,
  fmt,
  markdownTable,
  median,
  parseArgs,
  machineBusyMs,
  procCpuMs,
  round,
  runMain,
  stat,
  withOthers,
  writeResults,
} from './lib/common.mjs';
import {
  authDatabase,
  freePort,
  mintApiKey,
  postJson,
  postgresCpuMs,
  runBaselineChild,
  scrapeMetrics,
  startApp,
  startRun,
  waitReady,
} from './lib/platform.mjs';

const SELF = fileURLToPath(import.meta.url);
const SHARED = resolve(REPO_ROOT, '..', 'shared');

const TARGETS = { throughputRatio: 0.95, addedTtftP50Ms: 2, addedTtftP99Ms: 6 };

/**
 * Workloads per model. The prompt is stop-free at temperature 0 (greedy, deterministic): every request generates
 * exactly max_tokens, which the benchmark checks and reports. The TTFT phase sends short sequential requests to
 * collect enough samples for a p99 cheaply.
 */
const MODELS = {
  stories260k: {
    file: () => join(SHARED, 'models', 'stories260K.gguf'),
    contextSize: 2048,
    prompt: 'Once upon a time',
    maxTokens: 256,
    c1Requests: 40,
    c8Requests: 64,
    ttftRequests: 200,
    ttftMaxTokens: 8,
  },
  'synthetic-125m': {
    file: syntheticModel,
    contextSize: 1024,
    // Random weights: from 'Once upon a time' greedy decoding emits byte tokens that never form valid UTF-8,
    // which node-llama-cpp does not report as tokens; from 'The cat' every token is text.
    prompt: 'The cat',
    maxTokens: 64,
    c1Requests: 6,
    c8Requests: 16,
    ttftRequests: 30,
    ttftMaxTokens: 2,
  },
};
const SLOTS = 8;
const THREADS = 1;
const TEMPERATURE = 0;
const SEED = 42;

// ---------------------------------------------------------------------------------------------------------------
// Workload, shared by both sides: `one()` performs one request and returns its measurements.

/**
 * Runs `total` requests over `concurrency` parallel loops; throughput = generated tokens / wall time. `probe`
 * reads cumulative CPU counters (ms) so the phase reports the cores each process used.
 */
async function runPhase(one, { concurrency, total, maxTokens }, probe) {
  const results = [];
  let started = 0;
  const cpuBefore = probe?.();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (started < total) {
        started++;
        results.push(await one(maxTokens));
      }
    }),
  );
  const wallMs = performance.now() - t0;
  const summary = summarizePhase(results, wallMs, { concurrency, total, maxTokens });
  if (probe) summary.cpu_cores = withOthers(cpuDelta(cpuBefore, probe(), wallMs));
  return summary;
}

function summarizePhase(results, wallMs, spec) {
  const tokens = results.reduce((a, r) => a + r.tokens, 0);
  const ttft = results.map((r) => r.ttftMs).filter(Number.isFinite);
  // Decode rate of one request after its first token, as its client sees it.
  const decode = results
    .filter((r) => r.tokens > 1 && Number.isFinite(r.ttftMs))
    .map((r) => (r.tokens - 1) / ((r.totalMs - r.ttftMs) / 1000));
  const counts = {};
  for (const r of results) counts[r.tokens] = (counts[r.tokens] ?? 0) + 1;
  const stops = {};
  for (const r of results) stops[r.stop] = (stops[r.stop] ?? 0) + 1;
  return {
    ...spec,
    requests: results.length,
    wall_ms: round(wallMs, 1),
    tokens,
    throughput_tok_s: round(tokens / (wallMs / 1000), 1),
    completion_tokens_histogram: counts,
    stop_reasons: stops,
    all_requests_hit_max_tokens: results.every((r) => r.tokens === spec.maxTokens),
    ttft_ms: stat(ttft),
    request_ms: stat(results.map((r) => r.totalMs)),
    request_decode_tok_s_median: round(median(decode), 1),
    // In-process only: time waiting for a free context sequence (finished ones are disposed in the background,
    // under a context-wide lock the batch loop holds while others decode).
    ...(results[0]?.acquireMs !== undefined
      ? {
          sequence_wait_ms: stat(results.map((r) => r.acquireMs)),
          requests_that_waited_over_10ms_for_a_sequence: results.filter((r) => r.acquireMs > 10).length,
        }
      : {}),
    ttft_samples_ms: ttft.map((x) => round(x, 3)),
  };
}

function phases(cfg) {
  return [
    ['c1', { concurrency: 1, total: cfg.c1Requests, maxTokens: cfg.maxTokens }],
    ['c8', { concurrency: SLOTS, total: cfg.c8Requests, maxTokens: cfg.maxTokens }],
    ['ttft', { concurrency: 1, total: cfg.ttftRequests, maxTokens: cfg.ttftMaxTokens }],
  ];
}

/** Warm-up: JIT, first-use allocations, every sequence of the context, connections. */
async function warmUp(one, cfg) {
  await runPhase(one, { concurrency: 1, total: 2, maxTokens: Math.min(cfg.maxTokens, 16) });
  await runPhase(one, { concurrency: SLOTS, total: SLOTS * 2, maxTokens: Math.min(cfg.maxTokens, 16) });
}

// ---------------------------------------------------------------------------------------------------------------
// In-process side: runs in a child process of its own (like the worker), set up exactly as the worker sets up
// node-llama-cpp: one context with sequences = slots * 2, a fresh sequence per request disposed in the background.

async function baselineChild() {
  const cfg = JSON.parse(process.env.BENCH_BASELINE_CONFIG);
  const { getLlama, LlamaCompletion, LlamaLogLevel } = await import('node-llama-cpp');
  const llama = await getLlama({ gpu: false, logLevel: LlamaLogLevel.error, build: 'never' });
  const loadStart = performance.now();
  const model = await llama.loadModel({ modelPath: cfg.modelPath });
  const context = await model.createContext({
    contextSize: cfg.contextSize,
    sequences: SLOTS * 2,
    threads: THREADS,
  });
  const loadMs = performance.now() - loadStart;

  const waiters = [];
  async function acquire() {
    while (context.sequencesLeft === 0) await new Promise((r) => waiters.push(r));
    return context.getSequence();
  }
  function release(sequence) {
    void sequence
      .dispose()
      .catch(() => undefined)
      .finally(() => waiters.shift()?.());
  }

  async function one(maxTokens) {
    const t0 = performance.now();
    const sequence = await acquire();
    const acquireMs = performance.now() - t0;
    const completion = new LlamaCompletion({ contextSequence: sequence, autoDisposeSequence: false });
    let first = 0;
    let tokens = 0;
    try {
      const res = await completion.generateCompletionWithMeta(cfg.prompt, {
        maxTokens,
        temperature: TEMPERATURE,
        seed: SEED,
        onTextChunk: () => {
          if (!first) first = performance.now();
        },
        onToken: (t) => {
          tokens += t.length;
        },
      });
      const end = performance.now();
      return { ttftMs: first - t0, totalMs: end - t0, tokens, stop: res.metadata.stopReason, acquireMs };
    } finally {
      completion.dispose({ disposeSequence: false });
      release(sequence);
    }
  }

  const probe = () => {
    const total = procCpuMs(process.pid);
    const main = procCpuMs(process.pid, process.pid);
    return {
      'in-process main thread': main,
      'in-process other threads (llama.cpp, libuv)': total == null || main == null ? null : total - main,
      machine: machineBusyMs(),
    };
  };
  await warmUp(one, cfg);
  const workload = {};
  for (const [phase, spec] of phases(cfg)) {
    await sleep(200);
    workload[phase] = await runPhase(one, spec, probe);
  }
  process.send({ loadMs, workload, gpu: llama.gpu || false, contextSize: context.contextSize }, () => {
    void context.dispose().finally(() => process.exit(0));
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Platform side: worker + gateway as child processes, the same workload over HTTP with streaming.

/** Where the built apps are: dist/ (from `node infra/scripts/build.mjs`), or another build given with --dist. */
let distDir = join(REPO_ROOT, 'dist');

/**
 * Starts the platform as it runs in production, one process per app: the auth app too when the build has one
 * (on a throw-away database; /v1 then needs an API key, minted through the public API as a client would), the
 * inference worker and the gateway. Returns the apps and the credential to send (null when none is needed).
 */
async function startPlatform(cfg, prefix, yamlPath, auth) {
  const base = {
    ...process.env,
    LOG_LEVEL: 'warn',
    REDIS_URL: cfg.redisUrl,
    QUEUE_PREFIX: prefix,
    MODELS_CONFIG: yamlPath,
    WORKER_MODELS: cfg.modelId,
    ...(auth ? auth.env : {}),
  };
  const apps = [];
  const stop = () => Promise.all(apps.map((a) => a.stop()));
  try {
    let authApp = null;
    if (auth) {
      authApp = startApp(distDir, 'auth', { ...base, PORT: String(await freePort()) });
      apps.push(authApp);
      await waitReady(authApp);
    }
    const worker = startApp(distDir, 'inference-worker', { ...base, PORT: String(await freePort()) });
    const gateway = startApp(distDir, 'api-gateway', { ...base, PORT: String(await freePort()), HOST: '127.0.0.1' });
    apps.push(worker, gateway);
    await Promise.all([worker, gateway].map((a) => waitReady(a)));
    const apiKey = await credential(cfg, gateway, auth);
    if (authApp && !apiKey) {
      // This gateway serves /v1 without a credential: auth plays no part, so it does not share the machine.
      await authApp.stop();
      apps.splice(apps.indexOf(authApp), 1);
      authApp = null;
    }
    return { worker, gateway, auth: authApp, apiKey, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The API key the benchmark sends: none if the gateway answers without one, else a fresh key of the admin. */
async function credential(cfg, gateway, auth) {
  const probe = { model: cfg.modelId, prompt: cfg.prompt, max_tokens: 1, temperature: TEMPERATURE };
  const anonymous = await postJson(`${gateway.url}/v1/completions`, probe);
  if (anonymous.status === 200) return null;
  if (anonymous.status !== 401 || !auth) {
    throw new Error(`POST /v1/completions without a key answered ${anonymous.status}: ${anonymous.text}`);
  }
  const key = await mintApiKey(gateway.url, auth.admin);
  const check = await postJson(`${gateway.url}/v1/completions`, probe, { authorization: `Bearer ${key}` });
  if (check.status !== 200)
    throw new Error(`POST /v1/completions with the new key answered ${check.status}: ${check.text}`);
  return key;
}

/** One completion over HTTP. Streaming: TTFT at the first text delta, tokens from the usage chunk. */
function httpRequester(gatewayUrl, cfg, stream, apiKey) {
  const url = `${gatewayUrl}/v1/completions`;
  const headers = { 'content-type': 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) };
  const bodies = new Map();
  const bodyFor = (maxTokens) => {
    let b = bodies.get(maxTokens);
    if (!b) {
      b = JSON.stringify({
        model: cfg.modelId,
        prompt: cfg.prompt,
        max_tokens: maxTokens,
        temperature: TEMPERATURE,
        seed: SEED,
        stream,
        ...(stream ? { stream_options: { include_usage: true } } : {}),
      });
      bodies.set(maxTokens, b);
    }
    return b;
  };
  return async function one(maxTokens) {
    const t0 = performance.now();
    const res = await fetch(url, { method: 'POST', headers, body: bodyFor(maxTokens) });
    if (!res.ok || !res.body) throw new Error(`POST /v1/completions answered ${res.status}: ${await res.text()}`);
    if (!stream) {
      const json = await res.json();
      const totalMs = performance.now() - t0;
      const choice = json.choices[0];
      return { ttftMs: NaN, totalMs, tokens: json.usage.completion_tokens, stop: choice.finish_reason };
    }
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    let first = 0;
    let usage = null;
    let finish = null;
    let done = false;
    let chunks = 0;
    for (;;) {
      const { value, done: eof } = await reader.read();
      if (eof) break;
      buffer += decoder.decode(value, { stream: true });
      let cut;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const event = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        for (const line of event.split('\n')) {
          if (!line.startsWith('data: ')) continue;
          const data = line.slice(6);
          if (data === '[DONE]') {
            done = true;
            continue;
          }
          const chunk = JSON.parse(data);
          if (chunk.error) throw new Error(`stream error: ${JSON.stringify(chunk.error)}`);
          chunks++;
          const choice = chunk.choices?.[0];
          if (choice?.text && !first) first = performance.now();
          if (choice?.finish_reason) finish = choice.finish_reason;
          if (chunk.usage) usage = chunk.usage;
        }
      }
    }
    const end = performance.now();
    if (!done) throw new Error('stream ended without data: [DONE]');
    if (!usage) throw new Error('stream had no usage chunk');
    return { ttftMs: first - t0, totalMs: end - t0, tokens: usage.completion_tokens, stop: finish, chunks };
  };
}

// Prometheus scrapes around a phase: means of the platform's own stage timings, to say where the time goes.
function histogramMeanMs(before, after, name) {
  const total = (m, suffix) => {
    let s = 0;
    for (const [k, v] of Object.entries(m)) if (k === `${name}${suffix}` || k.startsWith(`${name}${suffix}{`)) s += v;
    return s;
  };
  const count = total(after, '_count') - total(before, '_count');
  return count > 0 ? ((total(after, '_sum') - total(before, '_sum')) / count) * 1000 : NaN;
}

async function floors(platform, redis) {
  const http = [];
  for (let i = 0; i < 200; i++) {
    const t0 = performance.now();
    const res = await fetch(`${platform.gateway.url}/health`);
    await res.arrayBuffer();
    http.push(performance.now() - t0);
  }
  const ping = [];
  for (let i = 0; i < 200; i++) {
    const t0 = performance.now();
    await redis.ping();
    ping.push(performance.now() - t0);
  }
  return { gateway_get_health_ms: stat(http), redis_ping_ms: stat(ping) };
}

async function runPlatform(cfg, prefix, yamlPath, redis, auth) {
  const startAt = performance.now();
  const platform = await startPlatform(cfg, prefix, yamlPath, auth);
  const startMs = performance.now() - startAt;
  try {
    const one = httpRequester(platform.gateway.url, cfg, true, platform.apiKey);
    const oneNoStream = httpRequester(platform.gateway.url, cfg, false, platform.apiKey);
    const redisPid = Number(/process_id:(\d+)/.exec(await redis.info('server'))?.[1]) || null;
    const check = () => {
      for (const app of [platform.worker, platform.gateway, platform.auth].filter(Boolean)) {
        if (!app.alive()) throw new Error(`${app.name} died during the benchmark:\n${app.output()}`);
      }
    };
    const stages = {};
    const scraped = async () => ({
      g: await scrapeMetrics(`${platform.gateway.url}/metrics`),
      w: await scrapeMetrics(`${platform.worker.url}/metrics`),
    });
    const wpid = platform.worker.proc.pid;
    const probe = () => {
      const total = procCpuMs(wpid);
      const main = procCpuMs(wpid, wpid);
      const client = process.cpuUsage();
      return {
        'worker main thread': main,
        'worker other threads (llama.cpp, libuv)': total == null || main == null ? null : total - main,
        gateway: procCpuMs(platform.gateway.proc.pid),
        ...(platform.auth
          ? { auth: procCpuMs(platform.auth.proc.pid), 'postgres (auth database)': postgresCpuMs(auth.database) }
          : {}),
        redis: redisPid ? procCpuMs(redisPid) : null,
        'bench client': (client.user + client.system) / 1000,
        machine: machineBusyMs(),
      };
    };
    await warmUp(one, cfg);
    const floor = await floors(platform, redis);
    const workload = {};
    // The same phases as in-process, plus one without streaming: what the per-token path costs.
    const nostream = [
      'c1_nostream',
      { concurrency: 1, total: Math.max(2, Math.ceil(cfg.c1Requests / 2)), maxTokens: cfg.maxTokens },
    ];
    for (const [phase, spec] of [...phases(cfg), nostream]) {
      await sleep(200);
      const before = await scraped();
      workload[phase] = await runPhase(phase === 'c1_nostream' ? oneNoStream : one, spec, probe);
      const after = await scraped();
      check();
      stages[phase] = {
        gateway_ttft_ms: round(histogramMeanMs(before.g, after.g, 'gateway_time_to_first_token_seconds')),
        worker_queue_wait_ms: round(histogramMeanMs(before.w, after.w, 'inference_queue_wait_seconds')),
        worker_ttft_from_pickup_ms: round(histogramMeanMs(before.w, after.w, 'inference_time_to_first_token_seconds')),
        // Mean over jobs of (tokens - 1) / (time after the first token), measured inside the worker.
        worker_job_decode_tok_s: round(histogramMeanMs(before.w, after.w, 'inference_tokens_per_second') / 1000, 1),
      };
    }
    return { startMs, credential: platform.apiKey ? 'api key (auth app running)' : 'none', workload, stages, floor };
  } finally {
    await platform.stop();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Orchestration, report.

async function syntheticModel() {
  const out = join(tmpdir(), 'synthetic-125m-q8_0.gguf');
  if (existsSync(out) && statSync(out).size > 0) return out;
  console.log(`Generating the synthetic 125m model into ${out} (once; cached in the OS temp folder) ...`);
  const partial = `${out}.${process.pid}.partial`;
  try {
    execFileSync(
      process.execPath,
      [join(SHARED, 'tools', 'make-synthetic-gguf.mjs'), '--size', '125m', '--out', partial],
      {
        stdio: 'inherit',
      },
    );
    renameSync(partial, out);
  } finally {
    rmSync(partial, { force: true });
  }
  return out;
}

function ttftAdded(inproc, platform) {
  return { p50: platform.p50 - inproc.p50, p99: platform.p99 - inproc.p99, mean: platform.mean - inproc.mean };
}

function pooledStat(rounds, phase) {
  return stat(rounds.flatMap((r) => r.workload[phase].ttft_samples_ms));
}

function pairedRatio(baselineRounds, platformRounds, phase) {
  return median(
    platformRounds.map(
      (p, i) => p.workload[phase].throughput_tok_s / baselineRounds[i].workload[phase].throughput_tok_s,
    ),
  );
}

/** Per phase, the median over rounds of the cores each process used. */
function cpuMedians(rounds, phaseNames) {
  return Object.fromEntries(
    phaseNames.map((p) => {
      const keys = Object.keys(rounds[0].workload[p].cpu_cores ?? {});
      return [
        p,
        Object.fromEntries(keys.map((k) => [k, round(median(rounds.map((r) => r.workload[p].cpu_cores[k])), 2)])),
      ];
    }),
  );
}

function summarize(cfg, baselineRounds, platformRounds) {
  const thr = (rounds, phase) => median(rounds.map((r) => r.workload[phase].throughput_tok_s));
  const side = (rounds) => ({
    throughput_c1_tok_s: round(thr(rounds, 'c1'), 1),
    throughput_c8_tok_s: round(thr(rounds, 'c8'), 1),
    ttft_c1_ms: pooledStat(rounds, 'ttft'),
    ttft_c1_throughput_phase_ms: pooledStat(rounds, 'c1'),
    ttft_c8_ms: pooledStat(rounds, 'c8'),
    request_decode_tok_s_c1: round(median(rounds.map((r) => r.workload.c1.request_decode_tok_s_median)), 1),
    request_decode_tok_s_c8: round(median(rounds.map((r) => r.workload.c8.request_decode_tok_s_median)), 1),
    all_requests_hit_max_tokens: rounds.every((r) =>
      ['c1', 'c8', 'ttft'].every((p) => r.workload[p].all_requests_hit_max_tokens),
    ),
  });
  const inproc = side(baselineRounds);
  const c8 = baselineRounds.map((r) => r.workload.c8);
  inproc.c8_sequence_waits = {
    requests: c8.reduce((a, w) => a + w.requests, 0),
    waited_over_10ms: c8.reduce((a, w) => a + (w.requests_that_waited_over_10ms_for_a_sequence ?? 0), 0),
    max_wait_ms: round(Math.max(...c8.map((w) => w.sequence_wait_ms?.max ?? 0))),
  };
  const platform = side(platformRounds);
  const ratioC1 = platform.throughput_c1_tok_s / inproc.throughput_c1_tok_s;
  const ratioC8 = platform.throughput_c8_tok_s / inproc.throughput_c8_tok_s;
  const added = ttftAdded(inproc.ttft_c1_ms, platform.ttft_c1_ms);
  const addedC8 = ttftAdded(inproc.ttft_c8_ms, platform.ttft_c8_ms);
  const meanOf = (phase, key) => round(median(platformRounds.map((r) => r.stages[phase][key])));
  const stagesTtft = {
    client_ttft_mean_ms: platform.ttft_c1_ms.mean,
    gateway_ttft_mean_ms: meanOf('ttft', 'gateway_ttft_ms'),
    worker_queue_wait_mean_ms: meanOf('ttft', 'worker_queue_wait_ms'),
    worker_ttft_from_pickup_mean_ms: meanOf('ttft', 'worker_ttft_from_pickup_ms'),
    in_process_ttft_mean_ms: inproc.ttft_c1_ms.mean,
  };
  const breakdown = {
    'HTTP in (fetch, Fastify, Nest, validation) + SSE out + client parsing (client TTFT - gateway TTFT)':
      stagesTtft.client_ttft_mean_ms - stagesTtft.gateway_ttft_mean_ms,
    'BullMQ queue wait: job created in the gateway -> active in the worker (add script, worker wake-up, moveToActive; ms resolution)':
      stagesTtft.worker_queue_wait_mean_ms,
    'worker: handler start -> first token, minus in-process TTFT (prompt tokenized for limits/usage, charset guard, set-up)':
      stagesTtft.worker_ttft_from_pickup_mean_ms - stagesTtft.in_process_ttft_mean_ms,
    'rest: job handed to the handler (payload parse) + first delta: publish, Redis pub/sub, gateway parse and dispatch':
      stagesTtft.gateway_ttft_mean_ms -
      stagesTtft.worker_queue_wait_mean_ms -
      stagesTtft.worker_ttft_from_pickup_mean_ms,
  };
  return {
    in_process: inproc,
    platform,
    comparison: {
      throughput_ratio_c1: round(ratioC1),
      throughput_ratio_c8: round(ratioC8),
      // Each round's platform / in-process ratio (the two ran back to back), median over rounds.
      paired_throughput_ratio_c1: round(pairedRatio(baselineRounds, platformRounds, 'c1')),
      paired_throughput_ratio_c8: round(pairedRatio(baselineRounds, platformRounds, 'c8')),
      added_ttft_c1_ms: { p50: round(added.p50), p99: round(added.p99), mean: round(added.mean) },
      added_ttft_c8_ms: { p50: round(addedC8.p50), p99: round(addedC8.p99), mean: round(addedC8.mean) },
      targets: {
        throughput_c1: { target: `>= ${TARGETS.throughputRatio * 100}%`, met: ratioC1 >= TARGETS.throughputRatio },
        throughput_c8: { target: `>= ${TARGETS.throughputRatio * 100}%`, met: ratioC8 >= TARGETS.throughputRatio },
        added_ttft_p50: { target: `<= ${TARGETS.addedTtftP50Ms} ms`, met: added.p50 <= TARGETS.addedTtftP50Ms },
        added_ttft_p99: { target: `<= ${TARGETS.addedTtftP99Ms} ms`, met: added.p99 <= TARGETS.addedTtftP99Ms },
      },
    },
    ttft_stage_means_ms: Object.fromEntries(Object.entries(stagesTtft).map(([k, v]) => [k, round(v)])),
    added_ttft_breakdown_mean_ms: Object.fromEntries(Object.entries(breakdown).map(([k, v]) => [k, round(v)])),
    platform_c1_nostream_throughput_tok_s: round(
      median(platformRounds.map((r) => r.workload.c1_nostream.throughput_tok_s)),
      1,
    ),
    cpu_cores: {
      in_process: cpuMedians(baselineRounds, ['c1', 'c8', 'ttft']),
      platform: cpuMedians(platformRounds, ['c1', 'c8', 'ttft', 'c1_nostream']),
    },
    platform_stage_means_by_phase_ms: Object.fromEntries(
      ['c1', 'c8', 'ttft', 'c1_nostream'].map((p) => [
        p,
        Object.fromEntries(
          Object.keys(platformRounds[0].stages[p]).map((k) => [
            k,
            round(median(platformRounds.map((r) => r.stages[p][k]))),
          ]),
        ),
      ]),
    ),
    floors: {
      gateway_get_health_p50_ms: round(median(platformRounds.map((r) => r.floor.gateway_get_health_ms.p50))),
      redis_ping_p50_ms: round(median(platformRounds.map((r) => r.floor.redis_ping_ms.p50))),
    },
  };
}

function markdown(cfg, env, s, rounds) {
  const yes = (b) => (b ? 'yes' : '**no**');
  const pct = (x) => `${fmt(x * 100, 1)}%`;
  const plus = (x) => `${x >= 0 ? '+' : ''}${fmt(x, 2)} ms`;
  const { in_process: a, platform: b, comparison: c } = s;
  const rows = [
    [
      'decode throughput, concurrency 1 (tok/s)',
      fmt(a.throughput_c1_tok_s),
      fmt(b.throughput_c1_tok_s),
      `${pct(c.throughput_ratio_c1)} (per-round median ${pct(c.paired_throughput_ratio_c1)})`,
      c.targets.throughput_c1.target,
      yes(c.targets.throughput_c1.met),
    ],
    [
      'decode throughput, concurrency 8 (tok/s)',
      fmt(a.throughput_c8_tok_s),
      fmt(b.throughput_c8_tok_s),
      `${pct(c.throughput_ratio_c8)} (per-round median ${pct(c.paired_throughput_ratio_c8)})`,
      c.targets.throughput_c8.target,
      yes(c.targets.throughput_c8.met),
    ],
    [
      'TTFT p50, concurrency 1 (ms)',
      fmt(a.ttft_c1_ms.p50, 2),
      fmt(b.ttft_c1_ms.p50, 2),
      plus(c.added_ttft_c1_ms.p50),
      c.targets.added_ttft_p50.target,
      yes(c.targets.added_ttft_p50.met),
    ],
    [
      'TTFT p99, concurrency 1 (ms)',
      fmt(a.ttft_c1_ms.p99, 2),
      fmt(b.ttft_c1_ms.p99, 2),
      plus(c.added_ttft_c1_ms.p99),
      c.targets.added_ttft_p99.target,
      yes(c.targets.added_ttft_p99.met),
    ],
    [
      'TTFT p50, concurrency 8 (ms)',
      fmt(a.ttft_c8_ms.p50, 2),
      fmt(b.ttft_c8_ms.p50, 2),
      plus(c.added_ttft_c8_ms.p50),
      '(info)',
      '-',
    ],
    [
      'TTFT p99, concurrency 8 (ms)',
      fmt(a.ttft_c8_ms.p99, 2),
      fmt(b.ttft_c8_ms.p99, 2),
      plus(c.added_ttft_c8_ms.p99),
      '(info)',
      '-',
    ],
    [
      'every request generated exactly max_tokens',
      yes(a.all_requests_hit_max_tokens),
      yes(b.all_requests_hit_max_tokens),
      '',
      'yes',
      yes(a.all_requests_hit_max_tokens && b.all_requests_hit_max_tokens),
    ],
  ];
  const st = s.ttft_stage_means_ms;
  const ratio = (r, p) => pct(r.platform.workload[p].throughput_tok_s / r.baseline.workload[p].throughput_tok_s);
  const perRound = rounds.map((r) => [
    String(r.round),
    r.order,
    fmt(r.baseline.workload.c1.throughput_tok_s),
    fmt(r.platform.workload.c1.throughput_tok_s),
    ratio(r, 'c1'),
    fmt(r.baseline.workload.c8.throughput_tok_s),
    fmt(r.platform.workload.c8.throughput_tok_s),
    ratio(r, 'c8'),
    fmt(r.baseline.workload.ttft.ttft_ms.p50, 2),
    fmt(r.platform.workload.ttft.ttft_ms.p50, 2),
    fmt(r.baseline.workload.ttft.ttft_ms.p99, 2),
    fmt(r.platform.workload.ttft.ttft_ms.p99, 2),
  ]);
  const phaseStages = s.platform_stage_means_by_phase_ms;
  return [
    `# Inference benchmark: platform vs in-process (${cfg.modelId})`,
    '',
    `Model \`${cfg.modelId}\` (${cfg.modelFile}), context ${cfg.contextSize}, ${SLOTS} slots (${SLOTS * 2} sequences), ` +
      `${THREADS} thread, CPU, temperature ${TEMPERATURE}, prompt ${JSON.stringify(cfg.prompt)}. ` +
      `Throughput: ${cfg.c1Requests} sequential requests (concurrency 1) and ${cfg.c8Requests} requests over 8 loops ` +
      `(concurrency 8), max_tokens ${cfg.maxTokens}; throughput = generated tokens / wall time, median of ${cfg.rounds} rounds. ` +
      `TTFT at concurrency 1: ${cfg.ttftRequests} sequential requests with max_tokens ${cfg.ttftMaxTokens} per round, pooled; ` +
      'TTFT at concurrency 8: every request of the concurrency-8 phase, pooled. The platform side is ' +
      'POST /v1/completions with stream: true over keep-alive HTTP, TTFT at the first text delta, against the ' +
      'worker and gateway processes' +
      (rounds[0].platform.credential === 'none'
        ? ' (no credential needed).'
        : ' and the auth app, with an API key (checked with the rate limits on every request).'),
    '',
    `${env.date}, commit ${env.git_commit?.slice(0, 12) ?? 'unknown'}${env.git_dirty ? ' (dirty tree)' : ''}, ` +
      `${env.cpu_model} x ${env.cpu_count}, Node ${env.node}, node-llama-cpp ${env.packages['node-llama-cpp']}, ` +
      `load average at start ${env.load_average_at_start.join(' / ')}, at end ${env.load_average_at_end.join(' / ')}.`,
    '',
    markdownTable(['metric', 'in-process', 'platform', 'ratio / added', 'target', 'met?'], rows),
    '',
    `Throughput ratio: platform median / in-process median over rounds; in brackets the median of each round's own ` +
      'ratio (the two sides ran back to back). In-process at concurrency 8, ' +
      `${a.c8_sequence_waits.waited_over_10ms} of ${a.c8_sequence_waits.requests} requests waited over 10 ms for a ` +
      `free context sequence (longest ${fmt(a.c8_sequence_waits.max_wait_ms)} ms): finished sequences are disposed ` +
      'under a context-wide lock that the batch loop holds while the others decode, so once the spare sequences ' +
      'are used up a request waits for the batch to drain. The worker uses the same scheme and shows the same tail.',
    '',
    '## Where the platform time to first token goes (concurrency 1, means)',
    '',
    markdownTable(
      ['stage', 'ms'],
      [
        ['client TTFT through the platform', fmt(st.client_ttft_mean_ms, 2)],
        ['gateway: request handled -> first delta received from Redis', fmt(st.gateway_ttft_mean_ms, 2)],
        ['worker: BullMQ queue wait (add -> picked up)', fmt(st.worker_queue_wait_mean_ms, 2)],
        ['worker: picked up -> first token', fmt(st.worker_ttft_from_pickup_mean_ms, 2)],
        ['in-process TTFT (node-llama-cpp alone)', fmt(st.in_process_ttft_mean_ms, 2)],
        ...Object.entries(s.added_ttft_breakdown_mean_ms).map(([k, v]) => [`added: ${k}`, fmt(v, 2)]),
        ['floor: GET /health round trip on the gateway, p50', fmt(s.floors.gateway_get_health_p50_ms, 2)],
        ['floor: Redis PING round trip, p50', fmt(s.floors.redis_ping_p50_ms, 2)],
      ],
    ),
    '',
    'Platform stage means per phase (ms; worker decode rate in tok/s, measured inside the worker per job):',
    '',
    markdownTable(
      [
        'phase',
        'gateway TTFT',
        'queue wait',
        'worker TTFT from pickup',
        'worker per-job decode tok/s',
        'client per-request decode tok/s (in-process / platform)',
      ],
      ['c1', 'c8', 'ttft', 'c1_nostream'].map((p) => [
        p,
        fmt(phaseStages[p].gateway_ttft_ms, 2),
        fmt(phaseStages[p].worker_queue_wait_ms, 2),
        fmt(phaseStages[p].worker_ttft_from_pickup_ms, 2),
        fmt(phaseStages[p].worker_job_decode_tok_s, 1),
        p === 'ttft' || p === 'c1_nostream'
          ? '-'
          : `${fmt(s.in_process[`request_decode_tok_s_${p}`])} / ${fmt(s.platform[`request_decode_tok_s_${p}`])}`,
      ]),
    ),
    '',
    `Without streaming (stream: false, same requests, concurrency 1) the platform delivers ` +
      `${fmt(s.platform_c1_nostream_throughput_tok_s)} tok/s, ` +
      `${pct(s.platform_c1_nostream_throughput_tok_s / a.throughput_c1_tok_s)} of in-process, against ` +
      `${pct(c.throughput_ratio_c1)} streamed: the difference is the per-token path (worker publish, Redis, ` +
      'gateway, SSE, client).',
    '',
    '## CPU: cores used per process during each phase (median of rounds; 2 cores = whole machine)',
    '',
    cpuTable(s.cpu_cores),
    '',
    `Other processes on this shared machine used ${fmt(othersMedian(s.cpu_cores), 2)} cores (median over phases) ` +
      'while the benchmark ran: the figures above are measured under that contention.',
    '',
    '## Rounds',
    '',
    markdownTable(
      [
        'round',
        'order',
        'c1 tok/s in-proc',
        'c1 tok/s platform',
        'c1 ratio',
        'c8 tok/s in-proc',
        'c8 tok/s platform',
        'c8 ratio',
        'TTFT p50 in-proc',
        'TTFT p50 platform',
        'TTFT p99 in-proc',
        'TTFT p99 platform',
      ],
      perRound,
    ),
    '',
  ].join('\n');
}

function othersMedian(cpu) {
  return median(
    Object.values(cpu)
      .flatMap((byPhase) => Object.values(byPhase))
      .map((cores) => cores['other processes'])
      .filter((x) => x != null),
  );
}

function cpuTable(cpu) {
  const columns = [...new Set(Object.values(cpu).flatMap((phasesOf) => Object.values(phasesOf).flatMap(Object.keys)))];
  const rows = [];
  for (const [side, byPhase] of Object.entries(cpu)) {
    for (const [phase, cores] of Object.entries(byPhase)) {
      rows.push([
        `${side.replace('_', '-')} ${phase}`,
        ...columns.map((c) => (cores[c] == null ? '' : fmt(cores[c], 2))),
      ]);
    }
  }
  return markdownTable(['side / phase', ...columns], rows);
}

const signed = (x, digits) => `${x >= 0 ? '+' : ''}${fmt(x, digits)}`;

function printSummary(s) {
  const { in_process: a, platform: b, comparison: c } = s;
  const t = c.targets;
  const mark = (m) => (m ? 'met' : 'MISSED');
  console.log('');
  console.table({
    'throughput c1 (tok/s)': {
      'in-process': a.throughput_c1_tok_s,
      platform: b.throughput_c1_tok_s,
      'ratio/added': `${fmt(c.throughput_ratio_c1 * 100)}%`,
      target: `${t.throughput_c1.target} ${mark(t.throughput_c1.met)}`,
    },
    'throughput c8 (tok/s)': {
      'in-process': a.throughput_c8_tok_s,
      platform: b.throughput_c8_tok_s,
      'ratio/added': `${fmt(c.throughput_ratio_c8 * 100)}%`,
      target: `${t.throughput_c8.target} ${mark(t.throughput_c8.met)}`,
    },
    'TTFT p50 c1 (ms)': {
      'in-process': a.ttft_c1_ms.p50,
      platform: b.ttft_c1_ms.p50,
      'ratio/added': `${signed(c.added_ttft_c1_ms.p50, 2)} ms`,
      target: `${t.added_ttft_p50.target} ${mark(t.added_ttft_p50.met)}`,
    },
    'TTFT p99 c1 (ms)': {
      'in-process': a.ttft_c1_ms.p99,
      platform: b.ttft_c1_ms.p99,
      'ratio/added': `${signed(c.added_ttft_c1_ms.p99, 2)} ms`,
      target: `${t.added_ttft_p99.target} ${mark(t.added_ttft_p99.met)}`,
    },
    'TTFT p50 c8 (ms)': {
      'in-process': a.ttft_c8_ms.p50,
      platform: b.ttft_c8_ms.p50,
      'ratio/added': `${signed(c.added_ttft_c8_ms.p50, 2)} ms`,
      target: '(info)',
    },
    'TTFT p99 c8 (ms)': {
      'in-process': a.ttft_c8_ms.p99,
      platform: b.ttft_c8_ms.p99,
      'ratio/added': `${signed(c.added_ttft_c8_ms.p99, 2)} ms`,
      target: '(info)',
    },
    'all requests = max_tokens': {
      'in-process': a.all_requests_hit_max_tokens,
      platform: b.all_requests_hit_max_tokens,
    },
  });
  console.log('Added TTFT at concurrency 1, where it goes (means, ms):');
  for (const [k, v] of Object.entries(s.added_ttft_breakdown_mean_ms)) console.log(`  ${fmt(v, 2).padStart(7)}  ${k}`);
}

async function main() {
  const opts = parseArgs(process.argv.slice(2), {
    model: 'stories260k',
    rounds: 4,
    quick: false,
    // Empty: a private redis-server for the run (see startPrivateRedis); else the Redis at this URL.
    redisUrl: '',
    pgAdminUrl: process.env.PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    dist: 'dist',
    help: false,
  });
  if (opts.help) {
    console.log(
      'Usage: npm run bench -- inference [--model stories260k|synthetic-125m] [--rounds N] [--quick] [--redis-url URL] ' +
        '[--pg-admin-url URL] [--dist DIR (another build; its packages must resolve from there)]',
    );
    return;
  }
  distDir = resolve(REPO_ROOT, opts.dist);
  const preset = MODELS[opts.model];
  if (!preset) throw new Error(`Unknown --model ${opts.model}; one of: ${Object.keys(MODELS).join(', ')}`);
  const quickScale = (n, min) => (opts.quick ? Math.max(min, Math.ceil(n / 4)) : n);
  const cfg = {
    modelId: opts.model,
    modelFile: await preset.file(),
    contextSize: preset.contextSize,
    prompt: preset.prompt,
    maxTokens: preset.maxTokens,
    c1Requests: quickScale(preset.c1Requests, 2),
    c8Requests: quickScale(preset.c8Requests, SLOTS),
    ttftRequests: quickScale(preset.ttftRequests, 10),
    ttftMaxTokens: preset.ttftMaxTokens,
    rounds: opts.quick ? 1 : Math.max(1, Math.floor(opts.rounds)),
    redisUrl: opts.redisUrl,
    dist: distDir.startsWith(`${REPO_ROOT}/`) ? distDir.slice(REPO_ROOT.length + 1) : distDir,
  };
  if (!existsSync(cfg.modelFile)) throw new Error(`Model file not found: ${cfg.modelFile}`);
  const env = environment();

  const runId = `bench-${Date.now()}`;
  const scratch = join(tmpdir(), `${runId}-inference`);
  mkdirSync(scratch, { recursive: true });
  const yamlPath = join(scratch, 'models.yaml');
  writeFileSync(
    yamlPath,
    [
      'models:',
      `  - id: ${cfg.modelId}`,
      `    path: ${JSON.stringify(cfg.modelFile)}`,
      '    capabilities: [chat, completion]',
      `    context_size: ${cfg.contextSize}`,
      `    slots: ${SLOTS}`,
      '    sequence_headroom: 2',
      `    threads: ${THREADS}`,
      '    gpu: false',
      `    default_max_tokens: ${cfg.maxTokens}`,
      '',
    ].join('\n'),
  );

  let auth = null;
  const { redis, redisUrl, ownRedis, cleanup } = await startRun({
    scratch,
    redisUrl: cfg.redisUrl,
    keys: `${runId}-*`,
    database: () => auth,
  });
  cfg.redisUrl = redisUrl;
  cfg.redis = ownRedis ? `private redis-server ${ownRedis.version} (${ownRedis.url}), no persistence` : cfg.redisUrl;

  console.log(
    `inference benchmark: ${cfg.modelId}, ${cfg.rounds} round(s); per side and round: ${cfg.c1Requests} x c1, ` +
      `${cfg.c8Requests} x c8 (max_tokens ${cfg.maxTokens}), ${cfg.ttftRequests} TTFT probes (max_tokens ${cfg.ttftMaxTokens})`,
  );
  const rounds = [];
  try {
    // The auth app takes part when the build has one.
    if (existsSync(join(distDir, 'apps', 'auth', 'src', 'main.js'))) auth = await authDatabase(runId, opts.pgAdminUrl);
    for (let i = 1; i <= cfg.rounds; i++) {
      const order = i % 2 === 1 ? ['baseline', 'platform'] : ['platform', 'baseline'];
      const round_ = { round: i, order: order.join(' -> ') };
      for (const side of order) {
        const t0 = performance.now();
        if (side === 'baseline') {
          round_.baseline = await runBaselineChild(SELF, { ...cfg, modelPath: cfg.modelFile });
        } else {
          round_.platform = await runPlatform(cfg, `${runId}-r${i}`, yamlPath, redis, auth);
        }
        const w = round_[side].workload;
        console.log(
          `  round ${i} ${side.padEnd(8)}: c1 ${fmt(w.c1.throughput_tok_s)} tok/s, c8 ${fmt(w.c8.throughput_tok_s)} tok/s, ` +
            `TTFT p50/p99 ${fmt(w.ttft.ttft_ms.p50, 2)}/${fmt(w.ttft.ttft_ms.p99, 2)} ms ` +
            `(${fmt((performance.now() - t0) / 1000)} s, load ${loadavg()[0].toFixed(2)})`,
        );
      }
      rounds.push(round_);
    }
  } finally {
    const deleted = await cleanup();
    console.log(`cleaned up: platform processes stopped, ${deleted} Redis keys of ${runId}-* deleted`);
  }
  env.load_average_at_end = loadavg().map((x) => round(x, 2));

  const summary = summarize(
    cfg,
    rounds.map((r) => r.baseline),
    rounds.map((r) => r.platform),
  );
  printSummary(summary);
  const json = {
    benchmark: 'inference',
    config: {
      ...cfg,
      slots: SLOTS,
      sequences: SLOTS * 2,
      threads: THREADS,
      temperature: TEMPERATURE,
      seed: SEED,
      gpu: false,
    },
    environment: env,
    targets: TARGETS,
    summary,
    rounds,
  };
  const files = await writeResults(`inference-${cfg.modelId}`, json, markdown(cfg, env, summary, rounds));
  console.log(`\nwrote ${files.join(', ')}`);
}

if (process.argv.includes('--baseline-child')) {
  await baselineChild();
} else {
  await runMain(main);
}
