// Scale-out benchmark: aggregate decode throughput of the platform with 1 and then 2 single-thread inference
// workers on one queue, at saturation (more clients than slots, so the queue never empties).
//
//   npm run bench -- scale [--model synthetic-125m|stories260k] [--seconds 30] [--max-tokens 32] [--clients 32]
//                          [--engine node-llama-cpp|llama-server]
//
// One platform (auth, gateway, a private redis-server) and its workers: phases 1 worker → 2 workers → 1 worker
// (the second worker stopped with SIGTERM, which drains it), each measured over `--seconds` after a warm-up, with
// the same closed-loop load (`--clients` concurrent non-streamed completions) in every phase. The ratio is the 2-
// worker phase over the mean of the two 1-worker phases, which cancels a slow drift of this shared machine. The
// CPU used by every process (gateway, auth, workers, redis, the load generator itself) shows what limits it:
// the workers need one core each, and the load generator, gateway, auth and Redis share the same 2 cores.
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  REPO_ROOT,
  cpuDelta,
  environment,
  fmt,
  machineBusyMs,
  markdownTable,
  parseArgs,
  procCpuMs,
  round,
  runMain,
  writeResults,
} from './lib/common.mjs';
import { syntheticModel } from './lib/synthetic-model.mjs';
import { completion, startPool } from './lib/worker-pool.mjs';

const TARGET_RATIO = 1.8;
const SLOTS = 8;
const MODELS = {
  'synthetic-125m': { file: syntheticModel, contextSize: 1024, prompt: 'The cat' },
  stories260k: { file: () => join(REPO_ROOT, '..', 'shared', 'models', 'stories260K.gguf'), contextSize: 2048 },
};

async function phase(pool, workers, opts, redisPid) {
  const body = {
    model: opts.model,
    prompt: MODELS[opts.model].prompt ?? 'Once upon a time',
    max_tokens: opts.maxTokens,
    temperature: 0,
  };
  let measuring = false;
  let stop = false;
  const counted = { requests: 0, tokens: 0, errors: 0 };
  const client = async () => {
    while (!stop) {
      const r = await completion(pool.gateway, pool.apiKey, body).catch((err) => ({ ok: false, error: err.message }));
      if (!r.ok && !stop) console.error(`request failed: ${r.status ?? ''} ${r.error}`);
      if (!r.ok) await sleep(100); // never spin on errors: they are counted, not retried at once
      if (!measuring) continue;
      if (r.ok) {
        counted.requests += 1;
        counted.tokens += r.tokens;
      } else counted.errors += 1;
    }
  };
  const clients = Array.from({ length: opts.clients }, client);
  await sleep(opts.warmupSeconds * 1000);
  const cpu = () => ({
    gateway: procCpuMs(pool.gateway.proc.pid),
    auth: procCpuMs(pool.auth.proc.pid),
    ...Object.fromEntries(workers.map((w, i) => [`worker ${i + 1}`, procCpuMs(w.proc.pid)])),
    redis: redisPid ? procCpuMs(redisPid) : null,
    'load generator': process.cpuUsage().user / 1000 + process.cpuUsage().system / 1000,
    machine: machineBusyMs(),
  });
  const before = cpu();
  const t0 = performance.now();
  measuring = true;
  await sleep(opts.seconds * 1000);
  measuring = false;
  const wallMs = performance.now() - t0;
  const after = cpu();
  stop = true;
  await Promise.all(clients);
  return {
    workers: workers.length,
    seconds: round(wallMs / 1000, 1),
    requests: counted.requests,
    errors: counted.errors,
    tokens_per_s: round((counted.tokens * 1000) / wallMs, 1),
    requests_per_s: round((counted.requests * 1000) / wallMs, 2),
    cores: cpuDelta(before, after, wallMs),
  };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2), {
    model: 'synthetic-125m',
    seconds: 30,
    warmupSeconds: 5,
    maxTokens: 32,
    clients: 32,
    engine: 'node-llama-cpp',
    pgAdminUrl: process.env.PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  });
  const preset = MODELS[opts.model];
  if (!preset) throw new Error(`unknown --model ${opts.model}`);
  const model = { id: opts.model, file: await preset.file(), contextSize: preset.contextSize, slots: SLOTS };
  model.maxTokens = opts.maxTokens;
  const env = environment();
  const runId = `bench-${Date.now()}`;
  const workerEnv = opts.engine === 'llama-server' ? { WORKER_ENGINE: 'llama-server' } : {};
  console.log(`scale benchmark: ${opts.model}, ${opts.clients} clients, ${opts.seconds} s per phase (1 → 2 → 1)`);
  const pool = await startPool({ runId, model, workers: 1, workerEnv, pgAdminUrl: opts.pgAdminUrl });
  const phases = [];
  try {
    const redisPid = pool.redisPid;
    phases.push(await phase(pool, pool.workers, opts, redisPid));
    console.log(`1 worker: ${fmt(phases.at(-1).tokens_per_s)} tok/s`);
    const second = await pool.startWorker();
    phases.push(await phase(pool, pool.workers, opts, redisPid));
    console.log(`2 workers: ${fmt(phases.at(-1).tokens_per_s)} tok/s`);
    await second.stop();
    phases.push(await phase(pool, [pool.workers[0]], opts, redisPid));
    console.log(`1 worker again: ${fmt(phases.at(-1).tokens_per_s)} tok/s`);
  } finally {
    await pool.cleanup();
  }
  const one = (phases[0].tokens_per_s + phases[2].tokens_per_s) / 2;
  const ratio = round(phases[1].tokens_per_s / one, 2);
  const result = {
    benchmark: 'scale',
    environment: env,
    config: { ...opts, slots: SLOTS, threads_per_worker: 1, model_file: model.file },
    phases,
    summary: {
      one_worker_tokens_per_s: round(one, 1),
      two_workers_tokens_per_s: phases[1].tokens_per_s,
      ratio,
      target_ratio: TARGET_RATIO,
      met: ratio >= TARGET_RATIO,
    },
  };
  const coreKeys = [...new Set(phases.flatMap((p) => Object.keys(p.cores)))];
  const md = [
    '# Scale-out: 1 and 2 inference workers on one queue',
    '',
    `${env.date}, ${env.cpu_count} cores (${env.cpu_model}), commit ${env.git_commit?.slice(0, 7)}. Model ` +
      `${opts.model}, ${SLOTS} slots and 1 thread per worker, engine ${opts.engine}; ${opts.clients} clients in a ` +
      `closed loop, non-streamed completions of ${opts.maxTokens} tokens at temperature 0; ${opts.seconds} s per ` +
      'phase after a warm-up.',
    '',
    markdownTable(
      ['phase', 'workers', 'tokens/s', 'requests/s', 'errors', ...coreKeys.map((k) => `cores: ${k}`)],
      phases.map((p, i) => [
        String(i + 1),
        String(p.workers),
        fmt(p.tokens_per_s),
        fmt(p.requests_per_s, 2),
        String(p.errors),
        ...coreKeys.map((k) => (p.cores[k] == null ? '' : fmt(p.cores[k], 2))),
      ]),
    ),
    '',
    `Two workers / one worker (mean of phases 1 and 3): **${fmt(ratio, 2)}x** (target ${TARGET_RATIO}x: ` +
      `${ratio >= TARGET_RATIO ? 'met' : 'not met'}).`,
    '',
    'What limits it: each worker decodes on one thread, so two workers need both cores; the gateway, auth, Redis ' +
      'and this load generator run on the same two cores (their cores are in the table), so the second worker ' +
      'never gets a whole core to itself here.',
  ].join('\n');
  const files = await writeResults('scale', result, md);
  console.log(`ratio ${ratio}x; wrote ${files.join(', ')}`);
}

await runMain(main);
