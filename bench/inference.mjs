// Inference benchmark: the platform (HTTP gateway -> BullMQ -> inference worker -> Redis pub/sub -> SSE) against
// the ceiling, node-llama-cpp in-process, and against llama-server (llama.cpp's own HTTP server), with the same
// GGUF file, context per sequence, 8 slots, 1 thread, prompt and greedy sampling on every side.
//
//   npm run bench -- inference [--model stories260k|synthetic-125m] [--rounds 4] [--quick]
//                              [--sides in_process,platform,platform_llama_server,llama_server]
//
// Sides (--sides picks some; default all four, in this order):
//   in_process             node-llama-cpp in a child process of its own, set up as the worker sets it up
//   platform               the built apps (auth, inference worker, gateway), the worker on node-llama-cpp
//   platform_llama_server  the same platform, its worker started with WORKER_ENGINE=llama-server and
//                          LLAMA_SERVER_BIN (it supervises llama-server -np 8 itself and streams from /completion)
//   llama_server           llama-server alone (bench/lib/llama-server.mjs, -np 8, the same context per slot),
//                          called over its OpenAI-compatible /v1/completions exactly as the platform is called
// The HTTP sides share one client: POST /v1/completions with stream: true over keep-alive HTTP (fetch, SSE parsed
// by hand), TTFT at the first text delta, tokens from the usage chunk. Every request generates exactly max_tokens:
// the prompt is stop-free at temperature 0 (checked and reported); llama-server alone is also sent ignore_eos
// (the platform's API has no such field).
//
// Measures per side (a) decode throughput at concurrency 1 and 8, (b) time to first token at concurrency 1 (short
// sequential requests) and 8, (c) the time to first token of a request that arrives while 7 others decode, against
// its idle one. Compared: the platform / in-process (the earlier targets: >= 95%, <= +2 ms p50, <= +6 ms p99) and,
// for both platform sides, / llama-server (issue 18: >= 1.0x at c1 and c8; TTFT p50 at c1 <= llama-server's + 3 ms;
// a request arriving while 7 others decode starts within 2x its idle TTFT).
// No two sides ever run at the same time: each side's processes are started, measured and stopped in turn, and the
// rounds alternate the order (A B C D, D C B A, ...) because this machine is shared and noisy; throughputs are
// medians of rounds, TTFT percentiles pool the samples of all rounds, and paired ratios take each round's own.
// The platform runs as in production, one process per app (auth too, with an API key, when the build has it),
// against a private redis-server of the run. If no llama-server binary can be found or built
// (ensureLlamaServer), the two llama-server sides are skipped and the run says so. Writes
// bench/results/inference-<model>.json and .md. Never fails on timing.
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
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
import { ensureLlamaServer, llamaCppRelease, startLlamaServer } from './lib/llama-server.mjs';
import { syntheticModel } from './lib/synthetic-model.mjs';
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
  track,
  waitReady,
} from './lib/platform.mjs';

const SELF = fileURLToPath(import.meta.url);
const SHARED = resolve(REPO_ROOT, '..', 'shared');

const TARGETS = {
  // Platform against in-process (the first inference issue).
  throughputRatio: 0.95,
  addedTtftP50Ms: 2,
  addedTtftP99Ms: 6,
  // Issue 18: each platform side against llama-server alone, and every side against its own idle TTFT.
  vsLlamaServerThroughputRatio: 1.0,
  ttftOverLlamaServerP50Ms: 3,
  busyTtftVsIdleRatio: 2,
};

const ALL_SIDES = ['in_process', 'platform', 'platform_llama_server', 'llama_server'];
const LLAMA_SERVER_SIDES = ['platform_llama_server', 'llama_server'];
const PLATFORM_SIDES = ['platform', 'platform_llama_server'];
const LABEL = {
  in_process: 'in-process',
  platform: 'platform',
  platform_llama_server: 'platform (llama-server engine)',
  llama_server: 'llama-server',
};

/**
 * Workloads per model. The prompt is stop-free at temperature 0 (greedy, deterministic): every request generates
 * exactly max_tokens, which the benchmark checks and reports. The TTFT phase sends short sequential requests to
 * collect enough samples for a p99 cheaply; the busy phase sends the same short requests one at a time while 7
 * others decode max_tokens each.
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
    busyProbes: 40,
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
    busyProbes: 10,
  },
};
const SLOTS = 8;
const THREADS = 1;
const TEMPERATURE = 0;
const SEED = 42;

// ---------------------------------------------------------------------------------------------------------------
// Workload, shared by every side: `one(maxTokens, hooks)` performs one request and returns its measurements.
// hooks: onFirst() at its first token, signal (an AbortSignal: the request then resolves { aborted: true }), text
// (collect the generated text into the result).

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

function sequenceWaits(results) {
  // In-process only: time waiting for a free context sequence (finished ones are disposed in the background,
  // under a context-wide lock the batch loop holds while others decode).
  return results[0]?.acquireMs !== undefined
    ? {
        sequence_wait_ms: stat(results.map((r) => r.acquireMs)),
        requests_that_waited_over_10ms_for_a_sequence: results.filter((r) => r.acquireMs > 10).length,
      }
    : {};
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
    ...sequenceWaits(results),
    ...connectionRetries(results),
    ttft_samples_ms: ttft.map((x) => round(x, 3)),
  };
}

/** HTTP sides: requests sent again because the server had closed their kept-alive connection (llama-server). */
function connectionRetries(results) {
  const retried = results.filter((r) => r.retries > 0).length;
  const evaluated = results.map((r) => r.promptEvaluated).filter((x) => x !== undefined);
  return {
    ...(results[0]?.retries !== undefined ? { requests_resent_on_a_closed_connection: retried } : {}),
    ...(evaluated.length ? { llama_server_prompt_tokens_evaluated_median: median(evaluated) } : {}),
  };
}

/**
 * A request that arrives while the other slots decode: `others` loops keep requests of max_tokens decoding; each
 * of `probes` short requests (probeMaxTokens, like the TTFT phase) is sent one at a time, at a random moment, once
 * all `others` have their first token (so they are decoding), and its time to first token recorded. At the end
 * the background requests are aborted (a client disconnect: the platform cancels the job, llama-server the slot).
 */
async function runBusyPhase(one, { others, probes, maxTokens, probeMaxTokens }, probe) {
  const controller = new AbortController();
  let decoding = 0;
  let failure = null;
  let waiter = null;
  const wake = () => {
    if (waiter && (decoding >= others || failure)) {
      const w = waiter;
      waiter = null;
      w(true);
    }
  };
  let background = 0;
  const loops = Array.from({ length: others }, async () => {
    while (!controller.signal.aborted) {
      let counted = false;
      try {
        const r = await one(maxTokens, {
          signal: controller.signal,
          onFirst: () => {
            counted = true;
            decoding++;
            wake();
          },
        });
        if (!r.aborted) background++;
      } catch (err) {
        failure ??= err;
        controller.abort();
        wake();
      } finally {
        if (counted) decoding--;
      }
    }
  });
  const samples = [];
  let waitedTooLong = 0;
  const cpuBefore = probe?.();
  const t0 = performance.now();
  try {
    for (let i = 0; i < probes && !failure; i++) {
      // A random moment within a few decode steps, then (if one of the others is between two requests) the next
      // first token of the background.
      await sleep(Math.random() * 20);
      if (decoding < others && !failure) {
        const timer = new AbortController();
        const full = await Promise.race([
          new Promise((r) => (waiter = r)),
          sleep(30_000, false, { signal: timer.signal }).catch(() => false),
        ]);
        timer.abort();
        waiter = null;
        if (!full) waitedTooLong++;
      }
      if (failure) break;
      const othersDecoding = decoding;
      samples.push({ ...(await one(probeMaxTokens)), othersDecoding });
    }
  } finally {
    controller.abort();
    await Promise.all(loops);
  }
  if (failure) throw failure;
  const wallMs = performance.now() - t0;
  const ttft = samples.map((r) => r.ttftMs).filter(Number.isFinite);
  const atStart = {};
  for (const r of samples) atStart[r.othersDecoding] = (atStart[r.othersDecoding] ?? 0) + 1;
  const summary = {
    others,
    probes,
    maxTokens: probeMaxTokens,
    background_max_tokens: maxTokens,
    requests: samples.length,
    wall_ms: round(wallMs, 1),
    background_requests_completed: background,
    others_decoding_at_probe_start: atStart,
    probes_that_waited_over_30s_for_the_others: waitedTooLong,
    all_requests_hit_max_tokens: samples.every((r) => r.tokens === probeMaxTokens),
    ttft_ms: stat(ttft),
    ...sequenceWaits(samples),
    ...connectionRetries(samples),
    ttft_samples_ms: ttft.map((x) => round(x, 3)),
  };
  if (probe) summary.cpu_cores = withOthers(cpuDelta(cpuBefore, probe(), wallMs));
  return summary;
}

function phases(cfg) {
  return [
    ['c1', { concurrency: 1, total: cfg.c1Requests, maxTokens: cfg.maxTokens }],
    ['c8', { concurrency: SLOTS, total: cfg.c8Requests, maxTokens: cfg.maxTokens }],
    ['ttft', { concurrency: 1, total: cfg.ttftRequests, maxTokens: cfg.ttftMaxTokens }],
  ];
}

const busySpec = (cfg) => ({
  others: SLOTS - 1,
  probes: cfg.busyProbes,
  maxTokens: cfg.maxTokens,
  probeMaxTokens: cfg.ttftMaxTokens,
});

/** Warm-up: JIT, first-use allocations, every sequence of the context, connections. */
async function warmUp(one, cfg) {
  await runPhase(one, { concurrency: 1, total: 2, maxTokens: Math.min(cfg.maxTokens, 16) });
  await runPhase(one, { concurrency: SLOTS, total: SLOTS * 2, maxTokens: Math.min(cfg.maxTokens, 16) });
}

/** The text of one greedy request of 32 tokens: every side should generate the same. */
async function sampleText(one, cfg) {
  const r = await one(Math.min(cfg.maxTokens, 32), { text: true });
  return r.text;
}

/** The measured phases of every side: c1, c8, ttft, then (`extra`, the platform's no-stream run) and busy last. */
async function runWorkload(one, cfg, probe, { extra = [], before, after } = {}) {
  await warmUp(one, cfg);
  const sample_text = await sampleText(one, cfg);
  const workload = {};
  for (const [phase, spec, fn = one] of [...phases(cfg), ...extra]) {
    await sleep(200);
    const b = await before?.();
    workload[phase] = await runPhase(fn, spec, probe);
    await after?.(phase, b);
  }
  await sleep(200);
  const b = await before?.();
  workload.busy = await runBusyPhase(one, busySpec(cfg), probe);
  await after?.('busy', b);
  return { workload, sample_text };
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

  async function one(maxTokens, hooks = {}) {
    const t0 = performance.now();
    const sequence = await acquire();
    const acquireMs = performance.now() - t0;
    const completion = new LlamaCompletion({ contextSequence: sequence, autoDisposeSequence: false });
    let first = 0;
    let tokens = 0;
    let text = '';
    try {
      const res = await completion.generateCompletionWithMeta(cfg.prompt, {
        maxTokens,
        temperature: TEMPERATURE,
        seed: SEED,
        ...(hooks.signal ? { signal: hooks.signal, stopOnAbortSignal: true } : {}),
        onTextChunk: (chunk) => {
          if (!first) {
            first = performance.now();
            hooks.onFirst?.();
          }
          if (hooks.text) text += chunk;
        },
        onToken: (t) => {
          tokens += t.length;
        },
      });
      const end = performance.now();
      if (hooks.signal?.aborted) return { aborted: true };
      return {
        ttftMs: first - t0,
        totalMs: end - t0,
        tokens,
        stop: res.metadata.stopReason,
        acquireMs,
        ...(hooks.text ? { text } : {}),
      };
    } catch (err) {
      if (hooks.signal?.aborted) return { aborted: true };
      throw err;
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
  const { workload, sample_text } = await runWorkload(one, cfg, probe);
  process.send({ loadMs, workload, sample_text, gpu: llama.gpu || false, contextSize: context.contextSize }, () => {
    void context.dispose().finally(() => process.exit(0));
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Platform sides: worker + gateway as child processes, the same workload over HTTP with streaming.

/** Where the built apps are: dist/ (from `node infra/scripts/build.mjs`), or another build given with --dist. */
let distDir = join(REPO_ROOT, 'dist');

/**
 * Starts the platform as it runs in production, one process per app: the auth app too when the build has one
 * (on a throw-away database; /v1 then needs an API key, minted through the public API as a client would), the
 * inference worker and the gateway. `workerEnv` adds to the worker's environment (the llama-server engine).
 * Returns the apps and the credential to send (null when none is needed).
 */
async function startPlatform(cfg, prefix, yamlPath, auth, workerEnv = {}) {
  const base = {
    ...process.env,
    LOG_LEVEL: 'warn',
    REDIS_URL: cfg.redisUrl,
    QUEUE_PREFIX: prefix,
    MODELS_CONFIG: yamlPath,
    WORKER_MODELS: cfg.modelId,
    ...(auth ? auth.env : {}),
  };
  // Never let the benchmark's own environment pick the engine of the node-llama-cpp platform side.
  delete base.WORKER_ENGINE;
  const apps = [];
  const stop = () => Promise.all(apps.map((a) => a.stop()));
  try {
    let authApp = null;
    if (auth) {
      authApp = startApp(distDir, 'auth', { ...base, PORT: String(await freePort()) });
      apps.push(authApp);
      await waitReady(authApp);
    }
    const worker = startApp(distDir, 'inference-worker', { ...base, ...workerEnv, PORT: String(await freePort()) });
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

/**
 * One completion over HTTP, the same client for the platform and llama-server: POST <baseUrl>/v1/completions.
 * Streaming: TTFT at the first text delta, tokens from the usage chunk. `extraBody` adds fields to the request.
 */
function httpRequester(baseUrl, cfg, stream, apiKey, extraBody = {}, { retryClosed = false } = {}) {
  const url = `${baseUrl}/v1/completions`;
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
        ...extraBody,
      });
      bodies.set(maxTokens, b);
    }
    return b;
  };
  async function request(maxTokens, hooks) {
    const t0 = performance.now();
    let res;
    let retries = 0;
    for (;;) {
      try {
        res = await fetch(url, { method: 'POST', headers, body: bodyFor(maxTokens), signal: hooks.signal });
        break;
      } catch (err) {
        // llama-server closes the connection after each streamed response (its chunked provider ends as
        // "cancelled" for cpp-httplib) without a Connection: close header, so a keep-alive client sometimes sends
        // the next request on a socket the server already closed, which it never read: sent again, counted.
        if (retryClosed && !hooks.signal?.aborted && retries < 3 && closedBeforeResponse(err)) {
          retries++;
          continue;
        }
        throw err;
      }
    }
    if (!res.ok || !res.body) throw new Error(`POST ${url} answered ${res.status}: ${await res.text()}`);
    if (!stream) {
      const json = await res.json();
      const totalMs = performance.now() - t0;
      const choice = json.choices[0];
      return {
        ttftMs: NaN,
        totalMs,
        tokens: json.usage.completion_tokens,
        stop: choice.finish_reason,
        retries,
        ...(hooks.text ? { text: choice.text } : {}),
      };
    }
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    let first = 0;
    let usage = null;
    let finish = null;
    let done = false;
    let chunks = 0;
    let text = '';
    let promptEvaluated;
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
          if (choice?.text) {
            if (!first) {
              first = performance.now();
              hooks.onFirst?.();
            }
            if (hooks.text) text += choice.text;
          }
          if (choice?.finish_reason) finish = choice.finish_reason;
          if (chunk.usage) usage = chunk.usage;
          // llama-server's own figures: how many prompt tokens it evaluated (the rest came from its slot cache).
          if (chunk.timings) promptEvaluated = chunk.timings.prompt_n;
        }
      }
    }
    const end = performance.now();
    if (!done) throw new Error('stream ended without data: [DONE]');
    if (!usage) throw new Error('stream had no usage chunk');
    return {
      ttftMs: first - t0,
      totalMs: end - t0,
      tokens: usage.completion_tokens,
      stop: finish,
      chunks,
      retries,
      ...(promptEvaluated !== undefined ? { promptEvaluated } : {}),
      ...(hooks.text ? { text } : {}),
    };
  }
  return async function one(maxTokens, hooks = {}) {
    try {
      return await request(maxTokens, hooks);
    } catch (err) {
      if (hooks.signal?.aborted) return { aborted: true };
      throw err;
    }
  };
}

/** fetch failed because the server had closed the (reused) connection before answering. */
function closedBeforeResponse(err) {
  const code = err?.cause?.code;
  return code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE';
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

/** The processes whose parent is `pid` (from /proc), as { pid, comm }. */
function childProcesses(pid) {
  const out = [];
  for (const d of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const text = readFileSync(`/proc/${d}/stat`, 'utf8');
      const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === pid)
        out.push({ pid: Number(d), comm: text.slice(text.indexOf('(') + 1, text.lastIndexOf(')')) });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * One platform side. `engine` 'llama-server' starts the worker with WORKER_ENGINE=llama-server and
 * LLAMA_SERVER_BIN=`bin`: the worker then spawns and supervises llama-server itself.
 */
async function runPlatform(cfg, prefix, yamlPath, redis, auth, { engine = 'node-llama-cpp', bin = null } = {}) {
  const startAt = performance.now();
  const workerEnv = engine === 'llama-server' ? { WORKER_ENGINE: 'llama-server', LLAMA_SERVER_BIN: bin } : {};
  const platform = await startPlatform(cfg, prefix, yamlPath, auth, workerEnv);
  const startMs = performance.now() - startAt;
  const wpid = platform.worker.proc.pid;
  // The worker's llama-server (under the watching shell the worker spawns), whose CPU /proc does not count in the
  // worker's.
  const engineProc =
    engine === 'llama-server'
      ? childProcesses(wpid)
          .flatMap((c) => [c, ...childProcesses(c.pid)])
          .find((c) => /llama-server/.test(c.comm))
      : null;
  if (engine === 'llama-server' && !engineProc) {
    await platform.stop();
    throw new Error(`the worker runs no llama-server child process:\n${platform.worker.output()}`);
  }
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
    const probe = () => {
      const total = procCpuMs(wpid);
      const main = procCpuMs(wpid, wpid);
      const client = process.cpuUsage();
      return {
        'worker main thread': main,
        'worker other threads (llama.cpp, libuv)': total == null || main == null ? null : total - main,
        ...(engineProc ? { "llama-server (the worker's)": procCpuMs(engineProc.pid) } : {}),
        gateway: procCpuMs(platform.gateway.proc.pid),
        ...(platform.auth
          ? { auth: procCpuMs(platform.auth.proc.pid), 'postgres (auth database)': postgresCpuMs(auth.database) }
          : {}),
        redis: redisPid ? procCpuMs(redisPid) : null,
        'bench client': (client.user + client.system) / 1000,
        machine: machineBusyMs(),
      };
    };
    // The same phases as in-process, plus one without streaming: what the per-token path costs.
    const nostream = [
      'c1_nostream',
      { concurrency: 1, total: Math.max(2, Math.ceil(cfg.c1Requests / 2)), maxTokens: cfg.maxTokens },
      oneNoStream,
    ];
    let floor;
    const { workload, sample_text } = await runWorkload(one, cfg, probe, {
      extra: [nostream],
      before: async () => {
        floor ??= await floors(platform, redis);
        return scraped();
      },
      after: async (phase, before) => {
        const after = await scraped();
        check();
        stages[phase] = {
          gateway_ttft_ms: round(histogramMeanMs(before.g, after.g, 'gateway_time_to_first_token_seconds')),
          worker_queue_wait_ms: round(histogramMeanMs(before.w, after.w, 'inference_queue_wait_seconds')),
          worker_ttft_from_pickup_ms: round(
            histogramMeanMs(before.w, after.w, 'inference_time_to_first_token_seconds'),
          ),
          // Mean over jobs of (tokens - 1) / (time after the first token), measured inside the worker.
          worker_job_decode_tok_s: round(histogramMeanMs(before.w, after.w, 'inference_tokens_per_second') / 1000, 1),
        };
      },
    });
    return {
      engine,
      startMs,
      credential: platform.apiKey ? 'api key (auth app running)' : 'none',
      workload,
      sample_text,
      stages,
      floor,
    };
  } finally {
    await platform.stop();
    // A worker killed after its grace period leaves its llama-server behind: never let it outlive the side.
    if (engineProc && alive(engineProc.pid)) process.kill(engineProc.pid, 'SIGKILL');
  }
}

// ---------------------------------------------------------------------------------------------------------------
// llama-server side: llama-server alone, -np 8, the same context per slot and thread, called as the platform is.

async function runLlamaServerSide(cfg, bin) {
  const startAt = performance.now();
  const server = await startLlamaServer(bin, {
    model: cfg.modelFile,
    port: await freePort(),
    parallel: SLOTS,
    ctxPerSlot: cfg.contextSize,
    threads: THREADS,
  });
  track(server.proc);
  const startMs = performance.now() - startAt;
  try {
    // The platform's API has no ignore_eos; llama-server's does: the prompt alone already never stops early.
    const one = httpRequester(server.url, cfg, true, null, { ignore_eos: true }, { retryClosed: true });
    const pid = server.proc.pid;
    const probe = () => {
      const client = process.cpuUsage();
      return {
        'llama-server': procCpuMs(pid),
        'bench client': (client.user + client.system) / 1000,
        machine: machineBusyMs(),
      };
    };
    const check = () => {
      if (server.proc.exitCode !== null) throw new Error(`llama-server exited ${server.proc.exitCode}`);
    };
    const { workload, sample_text } = await runWorkload(one, cfg, probe, { after: async () => check() });
    return { startMs, workload, sample_text };
  } finally {
    await server.stop();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Orchestration, report.

function ttftAdded(base, other) {
  return {
    p50: round(other.p50 - base.p50),
    p99: round(other.p99 - base.p99),
    mean: round(other.mean - base.mean),
  };
}

function pooledStat(rounds, phase) {
  return stat(rounds.flatMap((r) => r.workload[phase].ttft_samples_ms));
}

/** Each round's `other` / `base` throughput (the two ran in the same round), median over rounds. */
function pairedRatio(baseRounds, otherRounds, phase) {
  return median(
    otherRounds.map((p, i) => p.workload[phase].throughput_tok_s / baseRounds[i].workload[phase].throughput_tok_s),
  );
}

/** Per phase, the median over rounds of the cores each process used. */
function cpuMedians(rounds) {
  return Object.fromEntries(
    Object.keys(rounds[0].workload).map((p) => {
      const keys = Object.keys(rounds[0].workload[p].cpu_cores ?? {});
      return [
        p,
        Object.fromEntries(keys.map((k) => [k, round(median(rounds.map((r) => r.workload[p].cpu_cores[k])), 2)])),
      ];
    }),
  );
}

function sideSummary(rounds) {
  const thr = (phase) => median(rounds.map((r) => r.workload[phase].throughput_tok_s));
  const idle = pooledStat(rounds, 'ttft');
  const busy = pooledStat(rounds, 'busy');
  return {
    throughput_c1_tok_s: round(thr('c1'), 1),
    throughput_c8_tok_s: round(thr('c8'), 1),
    ttft_c1_ms: idle,
    ttft_c1_throughput_phase_ms: pooledStat(rounds, 'c1'),
    ttft_c8_ms: pooledStat(rounds, 'c8'),
    // A request (the TTFT phase's) arriving while 7 others decode, and its p50 against the idle one's.
    ttft_busy_ms: busy,
    ttft_busy_vs_idle_p50: round(busy.p50 / idle.p50, 2),
    request_decode_tok_s_c1: round(median(rounds.map((r) => r.workload.c1.request_decode_tok_s_median)), 1),
    request_decode_tok_s_c8: round(median(rounds.map((r) => r.workload.c8.request_decode_tok_s_median)), 1),
    all_requests_hit_max_tokens: rounds.every((r) =>
      ['c1', 'c8', 'ttft', 'busy'].every((p) => r.workload[p].all_requests_hit_max_tokens),
    ),
    start_ms_median: round(median(rounds.map((r) => r.startMs ?? r.loadMs))),
  };
}

function sequenceWaitTotals(phasesOf) {
  return {
    requests: phasesOf.reduce((a, w) => a + w.requests, 0),
    waited_over_10ms: phasesOf.reduce((a, w) => a + (w.requests_that_waited_over_10ms_for_a_sequence ?? 0), 0),
    max_wait_ms: round(Math.max(...phasesOf.map((w) => w.sequence_wait_ms?.max ?? 0))),
  };
}

/** Where a platform side's TTFT at concurrency 1 goes (means), from its own metrics. */
function ttftStages(rounds, side, inproc) {
  const meanOf = (phase, key) => round(median(rounds.map((r) => r.stages[phase][key])));
  const st = {
    client_ttft_mean_ms: side.ttft_c1_ms.mean,
    gateway_ttft_mean_ms: meanOf('ttft', 'gateway_ttft_ms'),
    worker_queue_wait_mean_ms: meanOf('ttft', 'worker_queue_wait_ms'),
    worker_ttft_from_pickup_mean_ms: meanOf('ttft', 'worker_ttft_from_pickup_ms'),
    in_process_ttft_mean_ms: inproc ? inproc.ttft_c1_ms.mean : NaN,
  };
  const breakdown = {
    'HTTP in (fetch, Fastify, Nest, validation) + SSE out + client parsing (client TTFT - gateway TTFT)':
      st.client_ttft_mean_ms - st.gateway_ttft_mean_ms,
    'BullMQ queue wait: job created in the gateway -> active in the worker (add script, worker wake-up, moveToActive; ms resolution)':
      st.worker_queue_wait_mean_ms,
    'worker: handler start -> first token, minus in-process TTFT (prompt tokenized for limits/usage, charset guard, set-up; llama-server engine: its HTTP round trip too)':
      st.worker_ttft_from_pickup_mean_ms - st.in_process_ttft_mean_ms,
    'rest: job handed to the handler (payload parse) + first delta: publish, Redis pub/sub, gateway parse and dispatch':
      st.gateway_ttft_mean_ms - st.worker_queue_wait_mean_ms - st.worker_ttft_from_pickup_mean_ms,
  };
  const r = (o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, round(v)]));
  return { stages: r(st), breakdown: r(breakdown) };
}

function summarize(cfg, bySide) {
  const sides = Object.keys(bySide);
  const out = { sides };
  for (const side of sides) out[side] = sideSummary(bySide[side]);
  const inproc = out.in_process;
  if (inproc) {
    inproc.c8_sequence_waits = sequenceWaitTotals(bySide.in_process.map((r) => r.workload.c8));
    inproc.busy_sequence_waits = sequenceWaitTotals(bySide.in_process.map((r) => r.workload.busy));
  }
  const comparison = {};
  // Against in-process, for every other side (the platform's targets: the first inference issue).
  if (inproc) {
    comparison.vs_in_process = {};
    for (const side of sides.filter((s) => s !== 'in_process')) {
      const o = out[side];
      const ratioC1 = o.throughput_c1_tok_s / inproc.throughput_c1_tok_s;
      const ratioC8 = o.throughput_c8_tok_s / inproc.throughput_c8_tok_s;
      const added = ttftAdded(inproc.ttft_c1_ms, o.ttft_c1_ms);
      comparison.vs_in_process[side] = {
        throughput_ratio_c1: round(ratioC1),
        throughput_ratio_c8: round(ratioC8),
        paired_throughput_ratio_c1: round(pairedRatio(bySide.in_process, bySide[side], 'c1')),
        paired_throughput_ratio_c8: round(pairedRatio(bySide.in_process, bySide[side], 'c8')),
        added_ttft_c1_ms: added,
        added_ttft_c8_ms: ttftAdded(inproc.ttft_c8_ms, o.ttft_c8_ms),
        ...(PLATFORM_SIDES.includes(side)
          ? {
              targets: {
                throughput_c1: {
                  target: `>= ${TARGETS.throughputRatio * 100}%`,
                  met: ratioC1 >= TARGETS.throughputRatio,
                },
                throughput_c8: {
                  target: `>= ${TARGETS.throughputRatio * 100}%`,
                  met: ratioC8 >= TARGETS.throughputRatio,
                },
                added_ttft_p50: { target: `<= ${TARGETS.addedTtftP50Ms} ms`, met: added.p50 <= TARGETS.addedTtftP50Ms },
                added_ttft_p99: { target: `<= ${TARGETS.addedTtftP99Ms} ms`, met: added.p99 <= TARGETS.addedTtftP99Ms },
              },
            }
          : {}),
      };
    }
    // The platform's figures where they always were.
    if (comparison.vs_in_process.platform) Object.assign(comparison, comparison.vs_in_process.platform);
  }
  // Against llama-server alone, for each platform side (issue 18).
  const ls = out.llama_server;
  if (ls && sides.length > 1) {
    comparison.vs_llama_server = {};
    for (const side of sides.filter((s) => s !== 'llama_server')) {
      const o = out[side];
      comparison.vs_llama_server[side] = {
        throughput_ratio_c1: round(o.throughput_c1_tok_s / ls.throughput_c1_tok_s),
        throughput_ratio_c8: round(o.throughput_c8_tok_s / ls.throughput_c8_tok_s),
        paired_throughput_ratio_c1: round(pairedRatio(bySide.llama_server, bySide[side], 'c1')),
        paired_throughput_ratio_c8: round(pairedRatio(bySide.llama_server, bySide[side], 'c8')),
        // This side's TTFT minus llama-server's: its added TTFT (vs in-process) minus llama-server's added TTFT.
        ttft_c1_over_llama_server_ms: ttftAdded(ls.ttft_c1_ms, o.ttft_c1_ms),
        ttft_c8_over_llama_server_ms: ttftAdded(ls.ttft_c8_ms, o.ttft_c8_ms),
      };
    }
  }
  // A request arriving while 7 others decode, against the same request on an idle side.
  comparison.ttft_while_7_decode = Object.fromEntries(
    sides.map((side) => {
      const o = out[side];
      return [
        side,
        {
          idle_p50_ms: o.ttft_c1_ms.p50,
          busy_p50_ms: o.ttft_busy_ms.p50,
          busy_p90_ms: o.ttft_busy_ms.p90,
          busy_p99_ms: o.ttft_busy_ms.p99,
          ratio_p50: o.ttft_busy_vs_idle_p50,
          target: `<= ${TARGETS.busyTtftVsIdleRatio}x idle TTFT p50`,
          met: o.ttft_busy_vs_idle_p50 <= TARGETS.busyTtftVsIdleRatio,
        },
      ];
    }),
  );
  // Issue 18's targets, for each platform side measured.
  comparison.issue18_targets = {};
  for (const side of sides.filter((s) => PLATFORM_SIDES.includes(s))) {
    const v = comparison.vs_llama_server?.[side];
    const busy = comparison.ttft_while_7_decode[side];
    const thrTarget = `>= ${fmt(TARGETS.vsLlamaServerThroughputRatio, 1)}x llama-server`;
    comparison.issue18_targets[side] = {
      ...(v
        ? {
            throughput_c1_vs_llama_server: {
              target: thrTarget,
              value: v.throughput_ratio_c1,
              paired: v.paired_throughput_ratio_c1,
              met: v.throughput_ratio_c1 >= TARGETS.vsLlamaServerThroughputRatio,
            },
            throughput_c8_vs_llama_server: {
              target: thrTarget,
              value: v.throughput_ratio_c8,
              paired: v.paired_throughput_ratio_c8,
              met: v.throughput_ratio_c8 >= TARGETS.vsLlamaServerThroughputRatio,
            },
            added_ttft_c1_p50_vs_llama_server: {
              target: `<= llama-server's + ${TARGETS.ttftOverLlamaServerP50Ms} ms`,
              value_ms: v.ttft_c1_over_llama_server_ms.p50,
              ...(comparison.vs_in_process
                ? {
                    added_vs_in_process_ms: comparison.vs_in_process[side].added_ttft_c1_ms.p50,
                    llama_server_added_vs_in_process_ms: comparison.vs_in_process.llama_server.added_ttft_c1_ms.p50,
                  }
                : {}),
              met: v.ttft_c1_over_llama_server_ms.p50 <= TARGETS.ttftOverLlamaServerP50Ms,
            },
          }
        : {}),
      ttft_while_7_decode: { target: busy.target, value: busy.ratio_p50, met: busy.met },
    };
  }
  out.comparison = comparison;

  const platformSides = sides.filter((s) => PLATFORM_SIDES.includes(s));
  out.ttft_stage_means_ms = {};
  out.added_ttft_breakdown_mean_ms = {};
  for (const side of platformSides) {
    const { stages, breakdown } = ttftStages(bySide[side], out[side], inproc);
    out.ttft_stage_means_ms[side] = stages;
    out.added_ttft_breakdown_mean_ms[side] = breakdown;
  }
  out.c1_nostream_throughput_tok_s = Object.fromEntries(
    platformSides.map((side) => [
      side,
      round(median(bySide[side].map((r) => r.workload.c1_nostream.throughput_tok_s)), 1),
    ]),
  );
  out.cpu_cores = Object.fromEntries(sides.map((side) => [side, cpuMedians(bySide[side])]));
  out.platform_stage_means_by_phase_ms = Object.fromEntries(
    platformSides.map((side) => {
      const rounds = bySide[side];
      return [
        side,
        Object.fromEntries(
          Object.keys(rounds[0].stages).map((p) => [
            p,
            Object.fromEntries(
              Object.keys(rounds[0].stages[p]).map((k) => [k, round(median(rounds.map((r) => r.stages[p][k])))]),
            ),
          ]),
        ),
      ];
    }),
  );
  out.floors = Object.fromEntries(
    platformSides.map((side) => [
      side,
      {
        gateway_get_health_p50_ms: round(median(bySide[side].map((r) => r.floor.gateway_get_health_ms.p50))),
        redis_ping_p50_ms: round(median(bySide[side].map((r) => r.floor.redis_ping_ms.p50))),
      },
    ]),
  );
  const texts = Object.fromEntries(sides.map((side) => [side, bySide[side][0].sample_text]));
  const groups = {};
  for (const [side, text] of Object.entries(texts)) (groups[text] ??= []).push(side);
  out.output_text = {
    same_on_every_side: Object.keys(groups).length === 1,
    // Sides that generated the same text (random weights: the two engines' numerics can pick other tokens).
    identical_groups: Object.values(groups),
    by_side: texts,
  };
  return out;
}

const yes = (b) => (b ? 'yes' : '**no**');
const pct = (x) => `${fmt(x * 100, 1)}%`;
const times = (x) => `${fmt(x, 2)}x`;
const plus = (x) => `${x >= 0 ? '+' : ''}${fmt(x, 2)} ms`;

function markdown(cfg, env, s, rounds) {
  const sides = s.sides;
  const c = s.comparison;
  const col = (f) => sides.map((side) => f(s[side], side));
  const vsLs = (side, k) => {
    const v = c.vs_llama_server?.[side];
    return v ? `${times(v[k])} (per round ${times(v[`paired_${k}`])})` : '-';
  };
  const main = [
    ['decode throughput, concurrency 1 (tok/s)', ...col((x) => fmt(x.throughput_c1_tok_s))],
    ['decode throughput, concurrency 8 (tok/s)', ...col((x) => fmt(x.throughput_c8_tok_s))],
    ['per-request decode after the first token, concurrency 1 (tok/s)', ...col((x) => fmt(x.request_decode_tok_s_c1))],
    ['per-request decode after the first token, concurrency 8 (tok/s)', ...col((x) => fmt(x.request_decode_tok_s_c8))],
    ['TTFT p50, concurrency 1 (ms)', ...col((x) => fmt(x.ttft_c1_ms.p50, 2))],
    ['TTFT p99, concurrency 1 (ms)', ...col((x) => fmt(x.ttft_c1_ms.p99, 2))],
    ['TTFT p50, concurrency 8 (ms)', ...col((x) => fmt(x.ttft_c8_ms.p50, 2))],
    ['TTFT p99, concurrency 8 (ms)', ...col((x) => fmt(x.ttft_c8_ms.p99, 2))],
    ['TTFT p50, a request arriving while 7 others decode (ms)', ...col((x) => fmt(x.ttft_busy_ms.p50, 2))],
    ['TTFT p90, a request arriving while 7 others decode (ms)', ...col((x) => fmt(x.ttft_busy_ms.p90, 2))],
    ['... its p50 / idle TTFT p50 (target <= 2x)', ...col((x) => times(x.ttft_busy_vs_idle_p50))],
    ...(c.vs_in_process
      ? [
          [
            'added TTFT p50 at concurrency 1 vs in-process (ms)',
            ...col((x, side) => (side === 'in_process' ? '-' : plus(c.vs_in_process[side].added_ttft_c1_ms.p50))),
          ],
          [
            'throughput c1 / in-process',
            ...col((x, side) => (side === 'in_process' ? '-' : pct(c.vs_in_process[side].throughput_ratio_c1))),
          ],
          [
            'throughput c8 / in-process',
            ...col((x, side) => (side === 'in_process' ? '-' : pct(c.vs_in_process[side].throughput_ratio_c8))),
          ],
        ]
      : []),
    ...(c.vs_llama_server
      ? [
          [
            'throughput c1 / llama-server',
            ...col((x, side) => (side === 'llama_server' ? '-' : vsLs(side, 'throughput_ratio_c1'))),
          ],
          [
            'throughput c8 / llama-server',
            ...col((x, side) => (side === 'llama_server' ? '-' : vsLs(side, 'throughput_ratio_c8'))),
          ],
        ]
      : []),
    ['every request generated exactly max_tokens', ...col((x) => yes(x.all_requests_hit_max_tokens))],
  ];

  const targetRows = [];
  for (const side of sides.filter((x) => PLATFORM_SIDES.includes(x))) {
    const t = c.issue18_targets[side];
    if (t.throughput_c1_vs_llama_server) {
      targetRows.push(
        [
          'issue 18',
          LABEL[side],
          'decode throughput c1 / llama-server',
          `${times(t.throughput_c1_vs_llama_server.value)} (per round ${times(t.throughput_c1_vs_llama_server.paired)})`,
          t.throughput_c1_vs_llama_server.target,
          yes(t.throughput_c1_vs_llama_server.met),
        ],
        [
          'issue 18',
          LABEL[side],
          'decode throughput c8 / llama-server',
          `${times(t.throughput_c8_vs_llama_server.value)} (per round ${times(t.throughput_c8_vs_llama_server.paired)})`,
          t.throughput_c8_vs_llama_server.target,
          yes(t.throughput_c8_vs_llama_server.met),
        ],
        [
          'issue 18',
          LABEL[side],
          'TTFT p50 c1 minus llama-server (added vs in-process: this side / llama-server)',
          `${plus(t.added_ttft_c1_p50_vs_llama_server.value_ms)}` +
            (t.added_ttft_c1_p50_vs_llama_server.added_vs_in_process_ms !== undefined
              ? ` (${plus(t.added_ttft_c1_p50_vs_llama_server.added_vs_in_process_ms)} / ` +
                `${plus(t.added_ttft_c1_p50_vs_llama_server.llama_server_added_vs_in_process_ms)})`
              : ''),
          t.added_ttft_c1_p50_vs_llama_server.target,
          yes(t.added_ttft_c1_p50_vs_llama_server.met),
        ],
      );
    }
    targetRows.push([
      'issue 18',
      LABEL[side],
      'TTFT p50 arriving while 7 others decode / idle',
      `${times(t.ttft_while_7_decode.value)} (${fmt(s[side].ttft_busy_ms.p50, 2)} / ${fmt(s[side].ttft_c1_ms.p50, 2)} ms)`,
      t.ttft_while_7_decode.target,
      yes(t.ttft_while_7_decode.met),
    ]);
  }
  for (const side of sides.filter((x) => !PLATFORM_SIDES.includes(x))) {
    const b = c.ttft_while_7_decode[side];
    targetRows.push([
      '(reference)',
      LABEL[side],
      'TTFT p50 arriving while 7 others decode / idle',
      `${times(b.ratio_p50)} (${fmt(b.busy_p50_ms, 2)} / ${fmt(b.idle_p50_ms, 2)} ms)`,
      b.target,
      yes(b.met),
    ]);
  }
  for (const side of sides.filter((x) => PLATFORM_SIDES.includes(x))) {
    const v = c.vs_in_process?.[side];
    if (!v) continue;
    targetRows.push(
      [
        'earlier',
        LABEL[side],
        'decode throughput c1 / in-process',
        `${pct(v.throughput_ratio_c1)} (per round ${pct(v.paired_throughput_ratio_c1)})`,
        v.targets.throughput_c1.target,
        yes(v.targets.throughput_c1.met),
      ],
      [
        'earlier',
        LABEL[side],
        'decode throughput c8 / in-process',
        `${pct(v.throughput_ratio_c8)} (per round ${pct(v.paired_throughput_ratio_c8)})`,
        v.targets.throughput_c8.target,
        yes(v.targets.throughput_c8.met),
      ],
      [
        'earlier',
        LABEL[side],
        'added TTFT p50 c1 vs in-process',
        plus(v.added_ttft_c1_ms.p50),
        v.targets.added_ttft_p50.target,
        yes(v.targets.added_ttft_p50.met),
      ],
      [
        'earlier',
        LABEL[side],
        'added TTFT p99 c1 vs in-process',
        plus(v.added_ttft_c1_ms.p99),
        v.targets.added_ttft_p99.target,
        yes(v.targets.added_ttft_p99.met),
      ],
    );
  }

  const platformSides = sides.filter((x) => PLATFORM_SIDES.includes(x));
  const firstPlatform = platformSides.map((side) => rounds[0][side]).find(Boolean);
  const lines = [
    `# Inference benchmark: ${sides.map((x) => LABEL[x]).join(' vs ')} (${cfg.modelId})`,
    '',
    `Model \`${cfg.modelId}\` (${cfg.modelFile}), context ${cfg.contextSize} per sequence, ${SLOTS} slots ` +
      `(node-llama-cpp: ${SLOTS * 2} sequences; llama-server: -np ${SLOTS} -c ${SLOTS * cfg.contextSize}), ` +
      `${THREADS} thread, CPU, temperature ${TEMPERATURE}, prompt ${JSON.stringify(cfg.prompt)}. ` +
      `Throughput: ${cfg.c1Requests} sequential requests (concurrency 1) and ${cfg.c8Requests} requests over 8 loops ` +
      `(concurrency 8), max_tokens ${cfg.maxTokens}; throughput = generated tokens / wall time, median of ${cfg.rounds} rounds. ` +
      `TTFT at concurrency 1: ${cfg.ttftRequests} sequential requests with max_tokens ${cfg.ttftMaxTokens} per round, pooled; ` +
      'TTFT at concurrency 8: every request of the concurrency-8 phase, pooled. A request arriving while 7 others ' +
      `decode: ${cfg.busyProbes} of the TTFT phase's requests per round, one at a time at random moments while 7 ` +
      `requests of max_tokens ${cfg.maxTokens} decode. The HTTP sides share one client: POST /v1/completions with ` +
      'stream: true over keep-alive HTTP (fetch), TTFT at the first text delta; llama-server alone also gets ' +
      'ignore_eos: true (the platform has no such field; the prompt never stops early anyway). The platform sides run ' +
      'the worker and gateway processes' +
      (!firstPlatform
        ? '.'
        : firstPlatform.credential === 'none'
          ? ' (no credential needed).'
          : ' and the auth app, with an API key (checked with the rate limits on every request).') +
      (cfg.llamaServer
        ? ` llama-server: llama.cpp ${cfg.llamaServer.release.tag} (${cfg.llamaServer.release.commit}), the release ` +
          'node-llama-cpp bundles, built here; the platform with the llama-server engine runs the same binary as ' +
          'a child of its worker.'
        : '') +
      (Object.keys(cfg.skippedSides ?? {}).length
        ? ` Skipped: ${Object.entries(cfg.skippedSides)
            .map(([k, v]) => `${k} (${v})`)
            .join('; ')}.`
        : ''),
    '',
    `${env.date}, commit ${env.git_commit?.slice(0, 12) ?? 'unknown'}${env.git_dirty ? ' (dirty tree)' : ''}, ` +
      `${env.cpu_model} x ${env.cpu_count}, Node ${env.node}, node-llama-cpp ${env.packages['node-llama-cpp']}, ` +
      `load average at start ${env.load_average_at_start.join(' / ')}, at end ${env.load_average_at_end.join(' / ')}; ` +
      `the run took ${fmt(cfg.elapsedS / 60, 1)} min.`,
    '',
    markdownTable(['metric', ...sides.map((x) => LABEL[x])], main),
    '',
    'Throughput ratios: the median of one side over rounds / the median of the other; "per round": the median of ' +
      "each round's own ratio (all sides ran one after the other in every round). The output text of one greedy " +
      'request of 32 tokens per side was ' +
      (s.output_text.same_on_every_side
        ? 'the same on every side.'
        : `the same only within each group: ${s.output_text.identical_groups
            .map((g) => g.map((x) => LABEL[x]).join(' = '))
            .join('; ')} (on random weights the prebuilt node-llama-cpp binary and the llama-server built here ` +
          'can round differently and pick other tokens).') +
      (s.llama_server
        ? ' llama-server evaluated a median of ' +
          `${fmt(bySideMedianPrompt(rounds, 'llama_server'), 0)} prompt token(s) per request at concurrency 1 (its ` +
          'slot cache keeps the identical prompt: cache_prompt is its default, and the worker sends it too); ' +
          'node-llama-cpp evaluates the whole prompt on a fresh sequence.'
        : '') +
      (s.in_process
        ? ` In-process at concurrency 8, ${s.in_process.c8_sequence_waits.waited_over_10ms} of ` +
          `${s.in_process.c8_sequence_waits.requests} requests waited over 10 ms for a free context sequence ` +
          `(longest ${fmt(s.in_process.c8_sequence_waits.max_wait_ms)} ms), and ` +
          `${s.in_process.busy_sequence_waits.waited_over_10ms} of ${s.in_process.busy_sequence_waits.requests} ` +
          `requests arriving while 7 others decode (longest ${fmt(s.in_process.busy_sequence_waits.max_wait_ms)} ms): ` +
          'finished sequences are disposed under a context-wide lock that the batch loop holds while the others ' +
          'decode, so once the spare sequences are used up a request waits for the batch to drain. The worker on ' +
          'node-llama-cpp uses the same scheme.'
        : ''),
    '',
    '## Targets',
    '',
    markdownTable(['issue', 'side', 'measure', 'measured', 'target', 'met?'], targetRows),
    '',
  ];
  if (platformSides.length) {
    const st = s.ttft_stage_means_ms;
    const stageRow = (label, key, digits = 2) => [label, ...platformSides.map((x) => fmt(st[x][key], digits))];
    const breakdownKeys = Object.keys(s.added_ttft_breakdown_mean_ms[platformSides[0]]);
    lines.push(
      '## Where the platform time to first token goes (concurrency 1, means)',
      '',
      markdownTable(
        ['stage', ...platformSides.map((x) => `${LABEL[x]} (ms)`)],
        [
          stageRow('client TTFT through the platform', 'client_ttft_mean_ms'),
          stageRow('gateway: request handled -> first delta received from Redis', 'gateway_ttft_mean_ms'),
          stageRow('worker: BullMQ queue wait (add -> picked up)', 'worker_queue_wait_mean_ms'),
          stageRow('worker: picked up -> first token', 'worker_ttft_from_pickup_mean_ms'),
          stageRow('in-process TTFT (node-llama-cpp alone)', 'in_process_ttft_mean_ms'),
          ...(s.llama_server
            ? [['llama-server alone: client TTFT', ...platformSides.map(() => fmt(s.llama_server.ttft_c1_ms.mean, 2))]]
            : []),
          ...breakdownKeys.map((k) => [
            `added: ${k}`,
            ...platformSides.map((x) => fmt(s.added_ttft_breakdown_mean_ms[x][k], 2)),
          ]),
          [
            'floor: GET /health round trip on the gateway, p50',
            ...platformSides.map((x) => fmt(s.floors[x].gateway_get_health_p50_ms, 2)),
          ],
          ['floor: Redis PING round trip, p50', ...platformSides.map((x) => fmt(s.floors[x].redis_ping_p50_ms, 2))],
        ],
      ),
      '',
      'Platform stage means per phase (ms; worker decode rate in tok/s, measured inside the worker per job; busy: over every job of the phase, the 7 background requests included):',
      '',
      markdownTable(
        [
          'side',
          'phase',
          'gateway TTFT',
          'queue wait',
          'worker TTFT from pickup',
          'worker per-job decode tok/s',
          'client per-request decode tok/s',
        ],
        platformSides.flatMap((side) =>
          Object.entries(s.platform_stage_means_by_phase_ms[side]).map(([p, v]) => [
            LABEL[side],
            p,
            fmt(v.gateway_ttft_ms, 2),
            fmt(v.worker_queue_wait_ms, 2),
            fmt(v.worker_ttft_from_pickup_ms, 2),
            fmt(v.worker_job_decode_tok_s, 1),
            p === 'c1' || p === 'c8' ? fmt(s[side][`request_decode_tok_s_${p}`]) : '-',
          ]),
        ),
      ),
      '',
      'Without streaming (stream: false, same requests, concurrency 1): ' +
        platformSides
          .map(
            (x) =>
              `${LABEL[x]} ${fmt(s.c1_nostream_throughput_tok_s[x])} tok/s against ${fmt(s[x].throughput_c1_tok_s)} ` +
              'streamed',
          )
          .join('; ') +
        ': the difference is the per-token path (worker publish, Redis, gateway, SSE, client).',
      '',
    );
  }
  const abbrev = {
    in_process: 'in-proc',
    platform: 'platform',
    platform_llama_server: 'platform-ls',
    llama_server: 'llama-server',
  };
  lines.push(
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
        ...sides.map((x) => `c1 tok/s ${abbrev[x]}`),
        ...sides.map((x) => `c8 tok/s ${abbrev[x]}`),
        ...sides.map((x) => `TTFT p50 ${abbrev[x]}`),
        ...sides.map((x) => `busy TTFT p50 ${abbrev[x]}`),
      ],
      rounds.map((r) => [
        String(r.round),
        r.order,
        ...sides.map((x) => fmt(r[x].workload.c1.throughput_tok_s)),
        ...sides.map((x) => fmt(r[x].workload.c8.throughput_tok_s)),
        ...sides.map((x) => fmt(r[x].workload.ttft.ttft_ms.p50, 2)),
        ...sides.map((x) => fmt(r[x].workload.busy.ttft_ms.p50, 2)),
      ]),
    ),
    '',
  );
  return lines.join('\n');
}

function bySideMedianPrompt(rounds, side) {
  return median(rounds.map((r) => r[side].workload.ttft.llama_server_prompt_tokens_evaluated_median));
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
      rows.push([`${LABEL[side] ?? side} ${phase}`, ...columns.map((c) => (cores[c] == null ? '' : fmt(cores[c], 2)))]);
    }
  }
  return markdownTable(['side / phase', ...columns], rows);
}

const signed = (x, digits) => `${x >= 0 ? '+' : ''}${fmt(x, digits)}`;

function printSummary(s) {
  const c = s.comparison;
  const row = (f) => Object.fromEntries(s.sides.map((side) => [LABEL[side], f(s[side], side)]));
  const mark = (m) => (m ? 'met' : 'MISSED');
  console.log('');
  console.table({
    'throughput c1 (tok/s)': row((x) => x.throughput_c1_tok_s),
    'throughput c8 (tok/s)': row((x) => x.throughput_c8_tok_s),
    'TTFT p50 c1 (ms)': row((x) => x.ttft_c1_ms.p50),
    'TTFT p99 c1 (ms)': row((x) => x.ttft_c1_ms.p99),
    'TTFT p50 c8 (ms)': row((x) => x.ttft_c8_ms.p50),
    'TTFT p50 while 7 decode (ms)': row((x) => x.ttft_busy_ms.p50),
    'busy / idle TTFT p50': row((x) => x.ttft_busy_vs_idle_p50),
    ...(c.vs_in_process
      ? {
          'added TTFT p50 c1 vs in-process (ms)': row((x, side) =>
            side === 'in_process' ? '' : signed(c.vs_in_process[side].added_ttft_c1_ms.p50, 2),
          ),
        }
      : {}),
    ...(c.vs_llama_server
      ? {
          'c1 / llama-server': row((x, side) =>
            side === 'llama_server' ? '' : fmt(c.vs_llama_server[side].throughput_ratio_c1, 2),
          ),
          'c8 / llama-server': row((x, side) =>
            side === 'llama_server' ? '' : fmt(c.vs_llama_server[side].throughput_ratio_c8, 2),
          ),
        }
      : {}),
    'all requests = max_tokens': row((x) => x.all_requests_hit_max_tokens),
  });
  for (const [side, t] of Object.entries(c.issue18_targets)) {
    console.log(
      `issue 18, ${LABEL[side]}: ` +
        Object.entries(t)
          .map(([k, v]) => `${k} ${v.value ?? v.value_ms} (${v.target}) ${mark(v.met)}`)
          .join('; '),
    );
  }
  for (const side of Object.keys(s.added_ttft_breakdown_mean_ms)) {
    console.log(`Added TTFT at concurrency 1, ${LABEL[side]}, where it goes (means, ms):`);
    for (const [k, v] of Object.entries(s.added_ttft_breakdown_mean_ms[side])) {
      console.log(`  ${fmt(v, 2).padStart(7)}  ${k}`);
    }
  }
}

/** The llama-server binary, or null (and why) when none can be found or built. */
function llamaServerBinary() {
  try {
    const bin = ensureLlamaServer({ log: (line) => console.log(line) });
    if (!existsSync(bin)) return { bin: null, why: `${bin} does not exist` };
    return { bin, release: llamaCppRelease() };
  } catch (err) {
    return { bin: null, why: (err instanceof Error ? err.message : String(err)).split('\n')[0] };
  }
}

async function main() {
  const startedAt = performance.now();
  const opts = parseArgs(process.argv.slice(2), {
    model: 'stories260k',
    rounds: 4,
    quick: false,
    sides: ALL_SIDES.join(','),
    // Empty: a private redis-server for the run (see startPrivateRedis); else the Redis at this URL.
    redisUrl: '',
    pgAdminUrl: process.env.PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    dist: 'dist',
    help: false,
  });
  if (opts.help) {
    console.log(
      'Usage: npm run bench -- inference [--model stories260k|synthetic-125m] [--rounds N] [--quick] ' +
        `[--sides ${ALL_SIDES.join(',')}] [--redis-url URL] ` +
        '[--pg-admin-url URL] [--dist DIR (another build; its packages must resolve from there)]',
    );
    return;
  }
  distDir = resolve(REPO_ROOT, opts.dist);
  const preset = MODELS[opts.model];
  if (!preset) throw new Error(`Unknown --model ${opts.model}; one of: ${Object.keys(MODELS).join(', ')}`);
  const asked = opts.sides
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  const unknown = asked.filter((x) => !ALL_SIDES.includes(x));
  if (unknown.length || !asked.length) {
    throw new Error(`Unknown --sides ${unknown.join(',') || '(none)'}; a comma list of: ${ALL_SIDES.join(', ')}`);
  }
  let sides = ALL_SIDES.filter((x) => asked.includes(x));
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
    busyProbes: quickScale(preset.busyProbes, 5),
    rounds: opts.quick ? 1 : Math.max(1, Math.floor(opts.rounds)),
    redisUrl: opts.redisUrl,
    dist: distDir.startsWith(`${REPO_ROOT}/`) ? distDir.slice(REPO_ROOT.length + 1) : distDir,
    sides,
    skippedSides: {},
    llamaServer: null,
  };
  if (!existsSync(cfg.modelFile)) throw new Error(`Model file not found: ${cfg.modelFile}`);
  let llamaBin = null;
  if (sides.some((x) => LLAMA_SERVER_SIDES.includes(x))) {
    const found = llamaServerBinary();
    if (found.bin) {
      llamaBin = found.bin;
      cfg.llamaServer = { binary: found.bin, release: found.release };
    } else {
      const why = `no llama-server binary: ${found.why}`;
      console.log(`${why}; skipping ${sides.filter((x) => LLAMA_SERVER_SIDES.includes(x)).join(' and ')}`);
      for (const x of sides.filter((y) => LLAMA_SERVER_SIDES.includes(y))) cfg.skippedSides[x] = why;
      sides = sides.filter((x) => !LLAMA_SERVER_SIDES.includes(x));
      cfg.sides = sides;
      if (!sides.length) throw new Error('no side left to measure');
    }
  }
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
    `inference benchmark: ${cfg.modelId}, ${cfg.rounds} round(s) of ${sides.join(', ')}; per side and round: ` +
      `${cfg.c1Requests} x c1, ${cfg.c8Requests} x c8 (max_tokens ${cfg.maxTokens}), ${cfg.ttftRequests} TTFT probes ` +
      `(max_tokens ${cfg.ttftMaxTokens}), ${cfg.busyProbes} while 7 others decode`,
  );
  const rounds = [];
  try {
    // The auth app takes part when the build has one.
    if (sides.some((x) => PLATFORM_SIDES.includes(x)) && existsSync(join(distDir, 'apps', 'auth', 'src', 'main.js'))) {
      auth = await authDatabase(runId, opts.pgAdminUrl);
    }
    for (let i = 1; i <= cfg.rounds; i++) {
      const order = i % 2 === 1 ? sides : [...sides].reverse();
      const round_ = { round: i, order: order.join(' -> '), elapsed_s: {} };
      for (const side of order) {
        const t0 = performance.now();
        if (side === 'in_process') {
          round_[side] = await runBaselineChild(SELF, { ...cfg, modelPath: cfg.modelFile });
        } else if (side === 'platform') {
          round_[side] = await runPlatform(cfg, `${runId}-r${i}`, yamlPath, redis, auth);
        } else if (side === 'platform_llama_server') {
          round_[side] = await runPlatform(cfg, `${runId}-r${i}-ls`, yamlPath, redis, auth, {
            engine: 'llama-server',
            bin: llamaBin,
          });
        } else {
          round_[side] = await runLlamaServerSide(cfg, llamaBin);
        }
        round_.elapsed_s[side] = round((performance.now() - t0) / 1000, 1);
        const w = round_[side].workload;
        console.log(
          `  round ${i} ${side.padEnd(21)}: c1 ${fmt(w.c1.throughput_tok_s)} tok/s, c8 ${fmt(w.c8.throughput_tok_s)} tok/s, ` +
            `TTFT p50/p99 ${fmt(w.ttft.ttft_ms.p50, 2)}/${fmt(w.ttft.ttft_ms.p99, 2)} ms, ` +
            `while 7 decode p50 ${fmt(w.busy.ttft_ms.p50, 2)} ms ` +
            `(${fmt(round_.elapsed_s[side])} s, load ${loadavg()[0].toFixed(2)})`,
        );
      }
      rounds.push(round_);
    }
  } finally {
    const deleted = await cleanup();
    console.log(`cleaned up: benchmark processes stopped, ${deleted} Redis keys of ${runId}-* deleted`);
  }
  env.load_average_at_end = loadavg().map((x) => round(x, 2));
  cfg.elapsedS = round((performance.now() - startedAt) / 1000, 1);

  const summary = summarize(cfg, Object.fromEntries(sides.map((side) => [side, rounds.map((r) => r[side])])));
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
  console.log(`\nwrote ${files.join(', ')} (the run took ${fmt(cfg.elapsedS / 60, 1)} min)`);
}

if (process.argv.includes('--baseline-child')) {
  await baselineChild();
} else {
  await runMain(main);
}
