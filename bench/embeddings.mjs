// Embeddings benchmark: the platform's dynamic batching (HTTP gateway -> BullMQ -> embedding worker, whose batcher
// gathers concurrent jobs into one model call -> Redis pub/sub -> JSON) against the two references of the issue, in
// the same run and with the same model, texts and ONNX settings:
//   (1) in-process batched loop: transformers.js `pipeline('feature-extraction')` on batches of 32 texts (the
//       ceiling: no HTTP, no queue, perfect batches);
//   (2) the platform one request at a time (1 client, one text per request, sequential);
//   (3) the platform with 32 concurrent clients, one text per request.
// Targets: (3) >= 3x (2), and (3) >= 90% of (1). Also reported: in-process one text per call, request latency
// p50/p99, the batch sizes the worker formed, and the CPU each process used.
//
//   npm run bench -- embeddings [--rounds 3] [--quick] [--workload sentences|passages] [--concurrency 32]
//
// The sides never run at the same time; rounds alternate their order because this 2-core machine is shared and
// noisy; throughputs are medians over rounds, latency percentiles pool every round's samples. The platform runs as
// in production, one process per app (auth with an API key on a throw-away database, embedding worker, gateway),
// on a private redis-server. Writes bench/results/embeddings-<workload>.json and .md. Never fails on timing.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import {
  REPO_ROOT,
  cpuDelta,
  environment,
  fmt,
  machineBusyMs,
  markdownTable,
  mean,
  median,
  parseArgs,
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
const MODEL_ID = 'potion-base-2m';
const MODEL_DIR = join(SHARED, 'models', 'potion-base-2M');
const DIMS = 64;
const TARGETS = { concurrentVsSequential: 3, concurrentVsInProcessBatched: 0.9 };
const IN_PROCESS_BATCH = 32;

/**
 * Texts: the 80 texts of ../shared/models/eval (40 short documents, 40 questions; 15 words on average) as
 * `sentences`; `passages` joins 8 consecutive ones (about 120 words, 150+ tokens), closer to RAG chunks.
 */
function workloadTexts(workload) {
  const evalDir = join(SHARED, 'models', 'eval');
  const docs = JSON.parse(readFileSync(join(evalDir, 'documents.json'), 'utf8')).map((d) => d.text);
  const queries = JSON.parse(readFileSync(join(evalDir, 'queries.json'), 'utf8')).map((q) => q.query);
  const sentences = [...docs, ...queries];
  if (workload === 'sentences') return sentences;
  if (workload === 'passages') {
    return sentences.map((_, i) =>
      Array.from({ length: 8 }, (_, k) => sentences[(i + k) % sentences.length]).join(' '),
    );
  }
  throw new Error(`Unknown --workload ${workload}; one of: sentences, passages`);
}

/**
 * Runs `total` requests over `concurrency` loops; `one(text)` embeds one text and returns its latency in ms.
 * Returns texts/s and latency statistics; `probe` reads cumulative CPU counters for the cores used.
 */
async function runPhase(one, texts, { concurrency, total }, probe) {
  const latencies = [];
  let next = 0;
  const before = probe?.();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        latencies.push(await one(texts[i % texts.length]));
      }
    }),
  );
  const wallMs = performance.now() - t0;
  return {
    concurrency,
    requests: total,
    wall_ms: round(wallMs, 1),
    texts_per_s: round(total / (wallMs / 1000), 1),
    latency_ms: stat(latencies),
    latency_samples_ms: latencies.map((x) => round(x, 3)),
    ...(probe ? { cpu_cores: withOthers(cpuDelta(before, probe(), wallMs)) } : {}),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// In-process side, in a child process of its own: transformers.js as a user would call it in-process.

async function baselineChild() {
  const cfg = JSON.parse(process.env.BENCH_BASELINE_CONFIG);
  const { env, pipeline } = await import('@huggingface/transformers');
  env.localModelPath = `${resolve(cfg.modelDir, '..')}/`;
  env.allowRemoteModels = false;
  const loadStart = performance.now();
  const extractor = await pipeline('feature-extraction', 'potion-base-2M', {
    dtype: 'fp32',
    session_options: { intraOpNumThreads: cfg.threads, interOpNumThreads: 1 },
  });
  const loadMs = performance.now() - loadStart;
  const texts = cfg.texts;
  const embed = (input) => extractor(input, { pooling: 'mean', normalize: true });
  const probe = () => ({ 'in-process': procCpuMs(process.pid), machine: machineBusyMs() });

  // Warm-up: JIT, allocations, ONNX's first runs.
  for (let i = 0; i < 20; i++) await embed(texts.slice(0, IN_PROCESS_BATCH));
  for (let i = 0; i < 50; i++) await embed(texts[i % texts.length]);
  await sleep(100);

  // Batched loop: batches of 32 texts; latency is the batch's (every text of it waits for the whole batch).
  const batches = Math.ceil(cfg.batchedTexts / IN_PROCESS_BATCH);
  const batchLatencies = [];
  let before = probe();
  let t0 = performance.now();
  for (let b = 0; b < batches; b++) {
    const input = Array.from({ length: IN_PROCESS_BATCH }, (_, k) => texts[(b * IN_PROCESS_BATCH + k) % texts.length]);
    const s = performance.now();
    await embed(input);
    batchLatencies.push(performance.now() - s);
  }
  let wallMs = performance.now() - t0;
  const batched = {
    batch_size: IN_PROCESS_BATCH,
    texts: batches * IN_PROCESS_BATCH,
    wall_ms: round(wallMs, 1),
    texts_per_s: round((batches * IN_PROCESS_BATCH) / (wallMs / 1000), 1),
    batch_latency_ms: stat(batchLatencies),
    cpu_cores: withOthers(cpuDelta(before, probe(), wallMs)),
  };
  await sleep(100);

  // One text per call, sequential.
  before = probe();
  t0 = performance.now();
  const single = await runPhase(
    async (text) => {
      const s = performance.now();
      await embed(text);
      return performance.now() - s;
    },
    texts,
    { concurrency: 1, total: cfg.singleTexts },
  );
  wallMs = performance.now() - t0;
  single.cpu_cores = withOthers(cpuDelta(before, probe(), wallMs));
  delete single.latency_samples_ms;

  // Reference vector of the first text, to check the platform returns the same.
  const reference = Array.from((await embed(texts[0])).data);
  process.send({ loadMs, batched, single, reference }, () => process.exit(0));
}

// ---------------------------------------------------------------------------------------------------------------
// Platform side.

async function startPlatform(cfg, prefix, redisUrl, auth) {
  const base = {
    ...process.env,
    LOG_LEVEL: 'warn',
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: prefix,
    MODELS_CONFIG: cfg.modelsYaml,
    EMBEDDING_WORKER_MODELS: MODEL_ID,
    ...auth.env,
  };
  const apps = [];
  const stop = () => Promise.all(apps.map((a) => a.stop()));
  try {
    const authApp = startApp(cfg.distDir, 'auth', { ...base, PORT: String(await freePort()) });
    apps.push(authApp);
    await waitReady(authApp);
    const worker = startApp(cfg.distDir, 'embedding-worker', { ...base, PORT: String(await freePort()) });
    const gateway = startApp(cfg.distDir, 'api-gateway', {
      ...base,
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
    });
    apps.push(worker, gateway);
    await Promise.all([worker, gateway].map((a) => waitReady(a)));
    const apiKey = await mintApiKey(gateway.url, auth.admin);
    return { auth: authApp, worker, gateway, apiKey, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * `total` requests over `concurrency` keep-alive connections (autocannon: each connection sends its next request
 * when the previous answer arrived, so it is `concurrency` clients), cycling through `texts`, `perRequest` texts per
 * request, `encoding_format: base64` as the OpenAI SDK sends it by default. autocannon rather than fetch() because
 * the client shares this 2-core machine with the platform: it costs a fraction of fetch()'s CPU.
 */
function loadPhase(url, apiKey, texts, { concurrency, total, perRequest = 1 }, probe) {
  let next = 0;
  const body = () => {
    const input = Array.from({ length: perRequest }, () => texts[next++ % texts.length]);
    return JSON.stringify({ model: MODEL_ID, input: perRequest === 1 ? input[0] : input, encoding_format: 'base64' });
  };
  return new Promise((resolvePromise, reject) => {
    const latencies = [];
    let failures = 0;
    let firstFailure = '';
    // autocannon notices that `amount` is reached only at its next 1-second tick: the phase ends at the last
    // response, and the CPU counters are read there.
    let lastAt = 0;
    let after;
    const before = probe?.();
    const t0 = performance.now();
    const instance = autocannon(
      {
        url: `${url}/v1/embeddings`,
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
        connections: concurrency,
        pipelining: 1,
        amount: total,
        timeout: 60,
        requests: [{ setupRequest: (req) => ({ ...req, body: body() }) }],
      },
      (err, result) => {
        if (err) return reject(err);
        const wallMs = lastAt - t0;
        if (failures || result.errors || result.timeouts) {
          return reject(
            new Error(
              `${failures} failed responses, ${result.errors} errors, ${result.timeouts} timeouts ${firstFailure}`,
            ),
          );
        }
        const requests = latencies.length;
        resolvePromise({
          concurrency,
          texts_per_request: perRequest,
          requests,
          wall_ms: round(wallMs, 1),
          requests_per_s: round(requests / (wallMs / 1000), 1),
          texts_per_s: round((requests * perRequest) / (wallMs / 1000), 1),
          latency_ms: stat(latencies),
          latency_samples_ms: latencies.map((x) => round(x, 3)),
          ...(probe ? { cpu_cores: withOthers(cpuDelta(before, after, wallMs)) } : {}),
        });
      },
    );
    instance.on('response', (_client, status, _bytes, responseTime) => {
      if (status === 200) latencies.push(responseTime);
      else if (!failures++) firstFailure = `(first: HTTP ${status})`;
      if (latencies.length + failures === total) {
        lastAt = performance.now();
        after = probe?.();
      }
    });
  });
}

const WORKER_SERIES = {
  batch_size: 'embedding_batch_size',
  batch_run_s: 'embedding_batch_seconds',
  batch_wait_s: 'embedding_batch_wait_seconds',
  queue_wait_s: 'embedding_queue_wait_seconds',
  job_s: 'embedding_job_seconds',
};

function workerDelta(before, after) {
  const out = {};
  for (const [name, series] of Object.entries(WORKER_SERIES)) {
    // The labels' order in the exposition is the library's: match the series and the model label.
    const value = (m, s) =>
      Object.entries(m).find(([k]) => k.startsWith(`${series}_${s}{`) && k.includes(`model="${MODEL_ID}"`))?.[1] ?? 0;
    const count = value(after, 'count') - value(before, 'count');
    const sum = value(after, 'sum') - value(before, 'sum');
    out[name] = { count, mean: count ? round(name.endsWith('_s') ? (sum / count) * 1000 : sum / count, 3) : null };
  }
  return out;
}

async function runPlatform(cfg, prefix, redis, auth) {
  const platform = await startPlatform(cfg, prefix, cfg.redisUrl, auth);
  try {
    const redisPid = Number(/process_id:(\d+)/.exec(await redis.info('server'))?.[1]) || null;
    const probe = () => ({
      'embedding worker': platform.worker.cpuMs(),
      gateway: platform.gateway.cpuMs(),
      auth: platform.auth.cpuMs(),
      'postgres (auth database)': postgresCpuMs(auth.database),
      redis: redisPid ? procCpuMs(redisPid) : null,
      'bench client': procCpuMs(process.pid),
      machine: machineBusyMs(),
    });
    // Same vector as in-process? (checked on the first text, base64 decoded)
    const check = await postJson(
      `${platform.gateway.url}/v1/embeddings`,
      { model: MODEL_ID, input: cfg.texts[0], encoding_format: 'base64' },
      { authorization: `Bearer ${platform.apiKey}` },
    );
    const bytes = Buffer.from(check.json().data[0].embedding, 'base64');
    const vector = Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4));
    const phase = (spec, p) => loadPhase(platform.gateway.url, platform.apiKey, cfg.texts, spec, p);
    // Warm-up: JIT in every process, connections, the batcher at both concurrencies.
    await phase({ concurrency: 1, total: 50 });
    await phase({ concurrency: cfg.concurrency, total: cfg.concurrency * 10 });
    const workload = {};
    for (const [name, spec] of [
      ['sequential', { concurrency: 1, total: cfg.sequentialRequests }],
      ['concurrent', { concurrency: cfg.concurrency, total: cfg.concurrentRequests }],
      // Informational: the same texts sent 32 per request by 4 clients, the per-request cost shared by 32 texts.
      [
        'client_batched',
        { concurrency: 4, total: Math.ceil(cfg.concurrentRequests / IN_PROCESS_BATCH), perRequest: IN_PROCESS_BATCH },
      ],
    ]) {
      await sleep(200);
      const before = await scrapeMetrics(`${platform.worker.url}/metrics`);
      workload[name] = await phase(spec, probe);
      workload[name].worker = workerDelta(before, await scrapeMetrics(`${platform.worker.url}/metrics`));
    }
    return { workload, vector };
  } finally {
    await platform.stop();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Report.

function maxAbsDiff(a, b) {
  return a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);
}

function summarize(cfg, rounds) {
  const med = (f) => median(rounds.map(f));
  const inBatched = med((r) => r.baseline.batched.texts_per_s);
  const inSingle = med((r) => r.baseline.single.texts_per_s);
  const seq = med((r) => r.platform.workload.sequential.texts_per_s);
  const conc = med((r) => r.platform.workload.concurrent.texts_per_s);
  const clientBatched = med((r) => r.platform.workload.client_batched.texts_per_s);
  const pooled = (phase) => stat(rounds.flatMap((r) => r.platform.workload[phase].latency_samples_ms));
  const cpu = (pick) => {
    const keys = Object.keys(pick(rounds[0]) ?? {});
    return Object.fromEntries(keys.map((k) => [k, round(median(rounds.map((r) => pick(r)[k] ?? NaN)), 2)]));
  };
  return {
    texts_per_s: {
      in_process_batched_32: round(inBatched, 1),
      in_process_one_per_call: round(inSingle, 1),
      platform_sequential: round(seq, 1),
      [`platform_${cfg.concurrency}_concurrent`]: round(conc, 1),
      platform_client_batched_32_per_request: round(clientBatched, 1),
    },
    ratios: {
      concurrent_vs_sequential: round(conc / seq, 2),
      concurrent_vs_in_process_batched: round(conc / inBatched, 3),
      per_round_concurrent_vs_sequential: rounds.map((r) =>
        round(r.platform.workload.concurrent.texts_per_s / r.platform.workload.sequential.texts_per_s, 2),
      ),
      per_round_concurrent_vs_in_process_batched: rounds.map((r) =>
        round(r.platform.workload.concurrent.texts_per_s / r.baseline.batched.texts_per_s, 3),
      ),
    },
    targets_met: {
      concurrent_vs_sequential: conc / seq >= TARGETS.concurrentVsSequential,
      concurrent_vs_in_process_batched: conc / inBatched >= TARGETS.concurrentVsInProcessBatched,
    },
    latency_ms: {
      platform_sequential: pooled('sequential'),
      platform_concurrent: pooled('concurrent'),
      platform_client_batched: pooled('client_batched'),
      in_process_one_per_call: {
        p50: round(median(rounds.map((r) => r.baseline.single.latency_ms.p50))),
        p99: round(median(rounds.map((r) => r.baseline.single.latency_ms.p99))),
      },
      in_process_batch_of_32: {
        p50: round(median(rounds.map((r) => r.baseline.batched.batch_latency_ms.p50))),
        p99: round(median(rounds.map((r) => r.baseline.batched.batch_latency_ms.p99))),
      },
    },
    worker: {
      sequential: rounds.at(-1).platform.workload.sequential.worker,
      concurrent: rounds.at(-1).platform.workload.concurrent.worker,
      client_batched: rounds.at(-1).platform.workload.client_batched.worker,
      mean_batch_size_concurrent: round(
        median(rounds.map((r) => r.platform.workload.concurrent.worker.batch_size.mean)),
      ),
    },
    cpu_cores: {
      'in-process batched': cpu((r) => r.baseline.batched.cpu_cores),
      'in-process one per call': cpu((r) => r.baseline.single.cpu_cores),
      'platform sequential': cpu((r) => r.platform.workload.sequential.cpu_cores),
      'platform concurrent': cpu((r) => r.platform.workload.concurrent.cpu_cores),
      'platform client-batched': cpu((r) => r.platform.workload.client_batched.cpu_cores),
    },
    same_vector_as_in_process_max_abs_diff: round(
      Math.max(...rounds.map((r) => maxAbsDiff(r.platform.vector, r.baseline.reference))),
      9,
    ),
  };
}

function markdown(cfg, env, s, rounds) {
  const c = cfg.concurrency;
  const pct = (x) => `${fmt(x * 100, 1)}%`;
  const yes = (b) => (b ? 'yes' : '**no**');
  const lines = [
    `# Embeddings benchmark: dynamic batching vs one at a time vs in-process (${cfg.workload})`,
    '',
    `Model \`${MODEL_ID}\` (${MODEL_DIR}, ${DIMS} dimensions), ONNX on CPU with ${cfg.threads} intra-op thread(s), ` +
      `the same in every process. Texts: ${cfg.texts.length} ${cfg.workload} from ../shared/models/eval ` +
      `(${fmt(mean(cfg.texts.map((t) => t.split(/\s+/).length)), 0)} words on average), cycled. The platform is ` +
      `auth + embedding worker + gateway as processes on a private redis-server, called over keep-alive HTTP with ` +
      `an API key, one text per request, \`encoding_format: base64\` (the OpenAI SDK's default). Worker batching: ` +
      `batch_size ${cfg.batchSize}, batch_wait_ms ${cfg.batchWaitMs}, concurrency 64. ${cfg.rounds} round(s), ` +
      `sides alternating; texts/s are medians over rounds, latency percentiles pool all rounds.`,
    '',
    `${env.date}, commit ${String(env.git_commit).slice(0, 12)}${env.git_dirty ? ' (dirty tree)' : ''}, ` +
      `${env.cpu_model} x ${env.cpu_count}, Node ${env.node}, @huggingface/transformers ${cfg.transformersVersion}, ` +
      `load average at start ${env.load_average_at_start.join(' / ')}, at end ${env.load_average_at_end.join(' / ')}.`,
    '',
    markdownTable(
      ['measure', 'texts/s', `latency p50 / p99 (ms)`, 'target', 'met?'],
      [
        [
          `(1) in-process batched loop (pipeline, batches of ${IN_PROCESS_BATCH})`,
          fmt(s.texts_per_s.in_process_batched_32),
          `${fmt(s.latency_ms.in_process_batch_of_32.p50, 2)} / ${fmt(s.latency_ms.in_process_batch_of_32.p99, 2)} (per batch)`,
          '',
          '',
        ],
        [
          '(2) platform, one at a time (1 client)',
          fmt(s.texts_per_s.platform_sequential),
          `${fmt(s.latency_ms.platform_sequential.p50, 2)} / ${fmt(s.latency_ms.platform_sequential.p99, 2)}`,
          '',
          '',
        ],
        [
          `(3) platform, ${c} concurrent single-text clients`,
          fmt(s.texts_per_s[`platform_${c}_concurrent`]),
          `${fmt(s.latency_ms.platform_concurrent.p50, 2)} / ${fmt(s.latency_ms.platform_concurrent.p99, 2)}`,
          '',
          '',
        ],
        [
          '(3) / (2)',
          `${fmt(s.ratios.concurrent_vs_sequential, 2)}x`,
          `per round: ${s.ratios.per_round_concurrent_vs_sequential.map((x) => `${fmt(x, 2)}x`).join(', ')}`,
          `>= ${TARGETS.concurrentVsSequential}x`,
          yes(s.targets_met.concurrent_vs_sequential),
        ],
        [
          '(3) / (1)',
          pct(s.ratios.concurrent_vs_in_process_batched),
          `per round: ${s.ratios.per_round_concurrent_vs_in_process_batched.map(pct).join(', ')}`,
          `>= ${pct(TARGETS.concurrentVsInProcessBatched)}`,
          yes(s.targets_met.concurrent_vs_in_process_batched),
        ],
        [
          `platform, 4 clients sending ${IN_PROCESS_BATCH} texts per request (reference)`,
          fmt(s.texts_per_s.platform_client_batched_32_per_request),
          `${fmt(s.latency_ms.platform_client_batched.p50, 2)} / ${fmt(s.latency_ms.platform_client_batched.p99, 2)} (per request)`,
          '',
          '',
        ],
        [
          'in-process, one text per call (reference)',
          fmt(s.texts_per_s.in_process_one_per_call),
          `${fmt(s.latency_ms.in_process_one_per_call.p50, 2)} / ${fmt(s.latency_ms.in_process_one_per_call.p99, 2)}`,
          '',
          '',
        ],
      ],
    ),
    '',
    `Under ${c} concurrent clients the worker's model calls held ${fmt(s.worker.mean_batch_size_concurrent, 1)} texts ` +
      `on average (1.0 one at a time). The platform's vector for the first text equals the in-process one within ` +
      `${s.same_vector_as_in_process_max_abs_diff} (max absolute difference).`,
    '',
    '## Inside the worker (last round, means)',
    '',
    markdownTable(
      ['phase', 'model calls', 'texts per call', 'call ms', 'batcher wait ms', 'queue wait ms', 'job ms'],
      ['sequential', 'concurrent', 'client_batched'].map((p) => {
        const w = s.worker[p];
        return [
          p,
          String(w.batch_size.count),
          fmt(w.batch_size.mean, 2),
          fmt(w.batch_run_s.mean, 3),
          fmt(w.batch_wait_s.mean, 3),
          fmt(w.queue_wait_s.mean, 3),
          fmt(w.job_s.mean, 3),
        ];
      }),
    ),
    '',
    '## CPU: cores used per process (median of rounds; the machine has ' + env.cpu_count + ')',
    '',
    cpuTable(s.cpu_cores),
    '',
    '## Rounds',
    '',
    markdownTable(
      ['round', 'order', '(1) texts/s', '(2) texts/s', '(3) texts/s', '(3)/(2)', '(3)/(1)', 'in-process 1/call'],
      rounds.map((r) => [
        String(r.round),
        r.order,
        fmt(r.baseline.batched.texts_per_s),
        fmt(r.platform.workload.sequential.texts_per_s),
        fmt(r.platform.workload.concurrent.texts_per_s),
        `${fmt(r.platform.workload.concurrent.texts_per_s / r.platform.workload.sequential.texts_per_s, 2)}x`,
        pct(r.platform.workload.concurrent.texts_per_s / r.baseline.batched.texts_per_s),
        fmt(r.baseline.single.texts_per_s),
      ]),
    ),
  ];
  return lines.join('\n');
}

function cpuTable(cpu) {
  const columns = [...new Set(Object.values(cpu).flatMap((c) => Object.keys(c)))];
  return markdownTable(
    ['side / phase', ...columns],
    Object.entries(cpu).map(([row, c]) => [row, ...columns.map((k) => (c[k] === undefined ? '' : fmt(c[k], 2)))]),
  );
}

function printSummary(cfg, s) {
  console.log('\ntexts/s');
  for (const [k, v] of Object.entries(s.texts_per_s)) console.log(`  ${k.padEnd(28)} ${fmt(v).padStart(9)}`);
  console.log(
    `ratios: concurrent/sequential ${fmt(s.ratios.concurrent_vs_sequential, 2)}x (target >= ${TARGETS.concurrentVsSequential}x), ` +
      `concurrent/in-process batched ${fmt(s.ratios.concurrent_vs_in_process_batched * 100, 1)}% (target >= 90%)`,
  );
  console.log(
    `latency p50/p99 ms: sequential ${fmt(s.latency_ms.platform_sequential.p50, 2)}/${fmt(s.latency_ms.platform_sequential.p99, 2)}, ` +
      `${cfg.concurrency} concurrent ${fmt(s.latency_ms.platform_concurrent.p50, 2)}/${fmt(s.latency_ms.platform_concurrent.p99, 2)}; ` +
      `mean batch ${fmt(s.worker.mean_batch_size_concurrent, 1)} texts`,
  );
}

async function main() {
  const opts = parseArgs(process.argv.slice(2), {
    rounds: 3,
    quick: false,
    workload: 'sentences',
    concurrency: 32,
    requests: 4000,
    sequential: 600,
    batchSize: 64,
    batchWaitMs: 2,
    threads: 1,
    redisUrl: '',
    pgAdminUrl: process.env.PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    dist: 'dist',
    help: false,
  });
  if (opts.help) {
    console.log(
      'Usage: npm run bench -- embeddings [--rounds N] [--quick] [--workload sentences|passages] [--concurrency 32] ' +
        '[--requests N] [--sequential N] [--batch-size 64] [--batch-wait-ms 2] [--threads 1] [--redis-url URL] ' +
        '[--pg-admin-url URL] [--dist DIR]',
    );
    return;
  }
  const texts = workloadTexts(opts.workload);
  const scale = (n, min) => (opts.quick ? Math.max(min, Math.ceil(n / 5)) : n);
  const env = environment();
  const runId = `bench-${Date.now()}`;
  const scratch = join(tmpdir(), `${runId}-embeddings`);
  mkdirSync(scratch, { recursive: true });
  const cfg = {
    workload: opts.workload,
    texts,
    concurrency: opts.concurrency,
    concurrentRequests: scale(opts.requests, 400),
    sequentialRequests: scale(opts.sequential, 100),
    batchedTexts: scale(opts.requests, 400),
    singleTexts: scale(opts.sequential, 100),
    rounds: opts.quick ? 1 : Math.max(1, Math.floor(opts.rounds)),
    batchSize: opts.batchSize,
    batchWaitMs: opts.batchWaitMs,
    threads: opts.threads,
    modelDir: MODEL_DIR,
    modelsYaml: join(scratch, 'models.yaml'),
    distDir: resolve(REPO_ROOT, opts.dist),
    redisUrl: opts.redisUrl,
    transformersVersion: JSON.parse(
      readFileSync(join(REPO_ROOT, 'node_modules/@huggingface/transformers/package.json'), 'utf8'),
    ).version,
  };
  writeFileSync(
    cfg.modelsYaml,
    [
      'models:',
      `  - id: ${MODEL_ID}`,
      '    kind: embedding',
      '    backend: transformers',
      `    path: ${JSON.stringify(MODEL_DIR)}`,
      '    dtype: fp32',
      `    dimensions: ${DIMS}`,
      `    batch_size: ${cfg.batchSize}`,
      `    batch_wait_ms: ${cfg.batchWaitMs}`,
      '    concurrency: 64',
      `    threads: ${cfg.threads}`,
      '    gpu: false',
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
  cfg.redis = ownRedis ? `private redis-server ${ownRedis.version}, no persistence` : cfg.redisUrl;

  console.log(
    `embeddings benchmark: ${MODEL_ID}, ${cfg.workload}, ${cfg.rounds} round(s); per round: in-process ` +
      `${cfg.batchedTexts} texts in batches of ${IN_PROCESS_BATCH} and ${cfg.singleTexts} one per call; platform ` +
      `${cfg.sequentialRequests} requests one at a time and ${cfg.concurrentRequests} over ${cfg.concurrency} clients`,
  );
  const rounds = [];
  try {
    auth = await authDatabase(runId, opts.pgAdminUrl);
    for (let i = 1; i <= cfg.rounds; i++) {
      const order = i % 2 === 1 ? ['baseline', 'platform'] : ['platform', 'baseline'];
      const r = { round: i, order: order.join(' -> ') };
      for (const side of order) {
        const t0 = performance.now();
        if (side === 'baseline') {
          r.baseline = await runBaselineChild(SELF, {
            modelDir: cfg.modelDir,
            threads: cfg.threads,
            texts,
            batchedTexts: cfg.batchedTexts,
            singleTexts: cfg.singleTexts,
          });
          console.log(
            `  round ${i} in-process: batched ${fmt(r.baseline.batched.texts_per_s)} texts/s, one per call ` +
              `${fmt(r.baseline.single.texts_per_s)} texts/s (${fmt((performance.now() - t0) / 1000)} s)`,
          );
        } else {
          r.platform = await runPlatform(cfg, `${runId}-r${i}`, redis, auth);
          const w = r.platform.workload;
          console.log(
            `  round ${i} platform:   one at a time ${fmt(w.sequential.texts_per_s)} texts/s, ${cfg.concurrency} ` +
              `concurrent ${fmt(w.concurrent.texts_per_s)} texts/s (mean batch ${fmt(w.concurrent.worker.batch_size.mean, 1)}) ` +
              `(${fmt((performance.now() - t0) / 1000)} s, load ${loadavg()[0].toFixed(2)})`,
          );
        }
      }
      rounds.push(r);
    }
  } finally {
    const deleted = await cleanup();
    console.log(`cleaned up: platform processes stopped, ${deleted} Redis keys of ${runId}-* deleted`);
  }
  env.load_average_at_end = loadavg().map((x) => round(x, 2));
  const summary = summarize(cfg, rounds);
  printSummary(cfg, summary);
  const config = Object.fromEntries(
    Object.entries(cfg).filter(([k]) => !['texts', 'modelsYaml', 'distDir'].includes(k)),
  );
  const json = {
    benchmark: 'embeddings',
    config: {
      ...config,
      model: MODEL_ID,
      dimensions: DIMS,
      in_process_batch: IN_PROCESS_BATCH,
      text_count: texts.length,
    },
    environment: env,
    targets: TARGETS,
    summary,
    rounds: rounds.map((r) => ({
      ...r,
      baseline: { ...r.baseline, reference: undefined },
      platform: {
        workload: Object.fromEntries(
          Object.entries(r.platform.workload).map(([k, v]) => [k, { ...v, latency_samples_ms: undefined }]),
        ),
      },
    })),
  };
  const files = await writeResults(`embeddings-${cfg.workload}`, json, markdown(cfg, env, summary, rounds));
  console.log(`\nwrote ${files.join(', ')}`);
}

if (process.argv.includes('--baseline-child')) {
  await baselineChild();
} else {
  await runMain(main);
}
