// Soak benchmark: 10,000 requests through the platform against one inference worker with recycling off, sampling
// the resident memory of the worker and the gateway every second, to show whether they leak.
//
//   npm run bench -- soak [--requests 10000] [--clients 8] [--max-tokens 16] [--recycle-after-jobs 0]
//
// stories260K (fast, so 10,000 requests take minutes), 8 slots, 1 thread; chat and text completions alternate, a
// quarter of them streamed. The growth is the worker's RSS at the end (median of the last 5% of samples) minus its
// RSS once warm (median of the samples between 10% and 15% of the requests): warm-up allocations (the KV cache
// filling, JIT, pools) are not a leak. Target (issue 19): growth <= 10 MB with recycling off. With
// --recycle-after-jobs N the worker recycles itself (drains and exits; this benchmark restarts it, as Kubernetes
// or `npm start` would) and the series shows RSS kept bounded instead.
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  REPO_ROOT,
  environment,
  fmt,
  markdownTable,
  median,
  parseArgs,
  round,
  runMain,
  writeResults,
} from './lib/common.mjs';
import { rssBytes, startPool } from './lib/worker-pool.mjs';

const TARGET_GROWTH_MIB = 10;
const MODEL = 'stories260k';

/** One request of the mix: the n-th alternates chat and text completions, every fourth streamed. */
async function request(pool, n, maxTokens) {
  const chat = n % 2 === 0;
  const stream = n % 4 === 3;
  const body = chat
    ? { model: MODEL, messages: [{ role: 'user', content: `Story ${n % 97}` }], max_tokens: maxTokens, stream }
    : { model: MODEL, prompt: `Once upon a time ${n % 89}`, max_tokens: maxTokens, stream };
  const res = await fetch(`${pool.gateway.url}/v1/${chat ? 'chat/completions' : 'completions'}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${pool.apiKey}` },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return res.status === 200 && (!stream || text.includes('[DONE]'));
}

/** The worker's V8 heap in use, from its own /metrics: tells a JavaScript leak from a native one. */
async function heapUsedBytes(url) {
  try {
    const text = await (await fetch(`${url}/metrics`)).text();
    const m = /^nodejs_heap_size_used_bytes(?:\{[^}]*\})? (\S+)$/m.exec(text);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

function window(samples, from, to) {
  const n = samples.length;
  return samples.slice(Math.floor(n * from), Math.max(Math.floor(n * from) + 1, Math.floor(n * to)));
}

async function main() {
  const opts = parseArgs(process.argv.slice(2), {
    requests: 10000,
    clients: 8,
    maxTokens: 16,
    recycleAfterJobs: 0,
    // The worker's V8 old-space limit (MiB; 0: Node's default). A small one makes V8 collect often, which tells
    // garbage not yet collected (RSS then stays flat) from a leak (the worker then dies of heap exhaustion).
    workerHeapMib: 0,
    pgAdminUrl: process.env.PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  });
  const env = environment();
  const runId = `bench-${Date.now()}`;
  const model = {
    id: MODEL,
    file: join(REPO_ROOT, '..', 'shared', 'models', 'stories260K.gguf'),
    contextSize: 2048,
    slots: 8,
    maxTokens: opts.maxTokens,
  };
  const workerEnv = {
    WORKER_RECYCLE_AFTER_JOBS: String(opts.recycleAfterJobs),
    ...(opts.workerHeapMib ? { NODE_OPTIONS: `--max-old-space-size=${opts.workerHeapMib}` } : {}),
  };
  console.log(
    `soak: ${opts.requests} requests, ${opts.clients} clients, recycling after ${opts.recycleAfterJobs || 'never'}`,
  );
  const pool = await startPool({ runId, model, workers: 1, workerEnv, pgAdminUrl: opts.pgAdminUrl });
  const samples = [];
  let done = 0;
  let failed = 0;
  let recycled = 0;
  const t0 = performance.now();
  try {
    let worker = pool.workers[0];
    // The benchmark plays the supervisor: a recycled worker is started again.
    let restarting = null;
    const watch = setInterval(() => {
      if (!worker.alive() && !restarting) {
        recycled += 1;
        restarting = pool.startWorker().then((w) => {
          worker = w;
          restarting = null;
        });
      }
    }, 100);
    const sampler = setInterval(async () => {
      const [w, g, heap] = await Promise.all([
        rssBytes(worker.proc.pid),
        rssBytes(pool.gateway.proc.pid),
        heapUsedBytes(worker.url),
      ]);
      samples.push({
        t_s: round((performance.now() - t0) / 1000, 1),
        requests: done,
        worker_rss_mib: w === null ? null : round(w / 2 ** 20, 1),
        gateway_rss_mib: g === null ? null : round(g / 2 ** 20, 1),
        worker_heap_mib: heap === null ? null : round(heap / 2 ** 20, 1),
      });
    }, 1000);
    let next = 0;
    const client = async () => {
      while (next < opts.requests) {
        const n = next++;
        const ok = await request(pool, n, opts.maxTokens).catch(() => false);
        if (ok) done += 1;
        else failed += 1;
        if ((done + failed) % 1000 === 0)
          console.log(`${done + failed} requests, worker ${samples.at(-1)?.worker_rss_mib} MiB`);
      }
    };
    await Promise.all(Array.from({ length: opts.clients }, client));
    await sleep(1100);
    clearInterval(sampler);
    clearInterval(watch);
  } finally {
    await pool.cleanup();
  }
  const seconds = (performance.now() - t0) / 1000;
  const rssOf = (key, from, to) =>
    median(
      window(samples, from, to)
        .map((s) => s[key])
        .filter((v) => v !== null),
    );
  const workerWarm = rssOf('worker_rss_mib', 0.1, 0.15);
  const workerEnd = rssOf('worker_rss_mib', 0.95, 1);
  const gatewayWarm = rssOf('gateway_rss_mib', 0.1, 0.15);
  const gatewayEnd = rssOf('gateway_rss_mib', 0.95, 1);
  const workerPeak = Math.max(...samples.map((s) => s.worker_rss_mib ?? 0));
  const growth = round(workerEnd - workerWarm, 1);
  const summary = {
    requests: opts.requests,
    succeeded: done,
    failed,
    seconds: round(seconds, 1),
    requests_per_s: round(done / seconds, 1),
    worker_rss_warm_mib: workerWarm,
    worker_rss_end_mib: workerEnd,
    worker_rss_peak_mib: workerPeak,
    worker_rss_growth_mib: growth,
    gateway_rss_warm_mib: gatewayWarm,
    gateway_rss_end_mib: gatewayEnd,
    gateway_rss_growth_mib: round(gatewayEnd - gatewayWarm, 1),
    recycled,
    target_growth_mib: TARGET_GROWTH_MIB,
    met: opts.recycleAfterJobs > 0 ? null : growth <= TARGET_GROWTH_MIB,
  };
  const result = { benchmark: 'soak', environment: env, config: opts, summary, memory: samples };
  const md = [
    '# Soak: resident memory over 10,000 requests',
    '',
    `${env.date}, ${env.cpu_count} cores, commit ${env.git_commit?.slice(0, 7)}. ${MODEL}, 8 slots, 1 thread; ` +
      `${opts.clients} clients, ${opts.maxTokens} tokens per request, chat and completions alternating, a quarter ` +
      `streamed; recycling ${opts.recycleAfterJobs ? `after ${opts.recycleAfterJobs} jobs` : 'off'}; worker heap ` +
      `limit ${opts.workerHeapMib ? `--max-old-space-size=${opts.workerHeapMib}` : "Node's default"}.`,
    '',
    markdownTable(
      ['', 'warm (10–15%)', 'end (last 5%)', 'growth', 'peak'],
      [
        ['inference worker RSS, MiB', fmt(workerWarm), fmt(workerEnd), fmt(growth), fmt(workerPeak)],
        ['gateway RSS, MiB', fmt(gatewayWarm), fmt(gatewayEnd), fmt(gatewayEnd - gatewayWarm), ''],
      ],
    ),
    '',
    `${done} requests succeeded, ${failed} failed, in ${fmt(seconds)} s (${fmt(done / seconds)} req/s); ` +
      `worker recycled ${recycled} times.` +
      (summary.met === null
        ? ''
        : ` Worker growth target <= ${TARGET_GROWTH_MIB} MiB with recycling off: ${summary.met ? 'met' : 'not met'}.`),
  ].join('\n');
  const name = `soak${opts.recycleAfterJobs ? '-recycling' : ''}${opts.workerHeapMib ? `-heap${opts.workerHeapMib}` : ''}`;
  const files = await writeResults(name, result, md);
  console.log(`worker RSS growth ${growth} MiB; wrote ${files.join(', ')}`);
}

await runMain(main);
