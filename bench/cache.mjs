// Response cache benchmark: what a cache hit costs through the whole gateway path (API-key auth, the request
// and token rate limits, routing, the Redis lookup, the response), against the cheapest authenticated route
// (GET /v1/models: auth and request limits, no cache, no job) in the same run.
//
//   npm run bench -- cache [--rounds 2] [--duration 8] [--connections 32] [--sequential 5]
//
// One gateway with RESPONSE_CACHE_TTL_S=3600 before auth, an inference worker (stories260k) that answers the first
// request once (the miss), then only hits. Each round: closed-loop load (autocannon, keep-alive, 32 connections)
// and one request at a time, hits and baseline alternating. Gateway CPU from /proc gives req/s per gateway core.
// Targets (issue 17): >= 2,000 hit req/s per gateway core, p99 <= 3 ms. Writes bench/results/cache.json and .md.
import autocannon from 'autocannon';
import {
  environment,
  fmt,
  markdownTable,
  parseArgs,
  procCpuMs,
  round,
  runMain,
  stat,
  writeResults,
} from './lib/common.mjs';
import { benchKey, startBenchPlatform } from './lib/gateway-setup.mjs';

const TARGETS = { hitReqPerGatewayCore: 2000, hitP99Ms: 3 };
const CHAT = {
  model: 'stories260k',
  temperature: 0,
  max_tokens: 32,
  messages: [{ role: 'user', content: 'Once upon a time' }],
};

function load(url, opts) {
  return new Promise((resolvePromise, reject) => {
    const samples = [];
    const instance = autocannon({ url, pipelining: 1, ...opts }, (err, result) =>
      err ? reject(err) : resolvePromise({ result, samples }),
    );
    instance.on('response', (_c, status, _b, ms) => {
      if (status >= 200 && status < 300) samples.push(ms);
    });
  });
}

async function measure(gateway, target, connections, duration) {
  const cpu0 = procCpuMs(gateway.proc.pid);
  const t0 = performance.now();
  const { result, samples } = await load(`${gateway.url}${target.path}`, {
    method: target.method,
    headers: target.headers,
    body: target.body,
    connections,
    duration,
  });
  const wallMs = performance.now() - t0;
  const cpuS = (procCpuMs(gateway.proc.pid) - cpu0) / 1000;
  return {
    requests: result.requests.total,
    non_2xx: result.non2xx,
    errors: result.errors,
    req_s: round(result.requests.total / (wallMs / 1000), 1),
    gateway_cores: round(cpuS / (wallMs / 1000), 2),
    req_s_per_gateway_core: round(result.requests.total / cpuS, 1),
    latency_ms: stat(samples, [50, 90, 99]),
  };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2), { rounds: 2, duration: 8, connections: 32, sequential: 5 });
  const p = await startBenchPlatform('cache');
  try {
    const gateway = await p.gateway({ RESPONSE_CACHE_TTL_S: '3600' });
    const key = await benchKey(gateway.url, p.database.admin);
    const auth = { authorization: `Bearer ${key}` };
    const body = JSON.stringify(CHAT);
    const post = () =>
      fetch(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body,
      });
    const miss = await post();
    const hit = await post();
    if (miss.headers.get('x-cache') !== 'miss' || hit.headers.get('x-cache') !== 'hit') {
      throw new Error(`expected a miss then a hit, got ${miss.headers.get('x-cache')} / ${hit.headers.get('x-cache')}`);
    }
    const targets = {
      cache_hit: {
        method: 'POST',
        path: '/v1/chat/completions',
        headers: { ...auth, 'content-type': 'application/json' },
        body,
      },
      baseline_models: { method: 'GET', path: '/v1/models', headers: auth },
    };
    const rounds = [];
    for (let r = 0; r < opts.rounds; r++) {
      const order = r % 2 ? ['baseline_models', 'cache_hit'] : ['cache_hit', 'baseline_models'];
      const out = { round: r + 1 };
      for (const name of order) {
        await measure(gateway, targets[name], opts.connections, 1); // warm-up
        out[name] = {
          loaded: await measure(gateway, targets[name], opts.connections, opts.duration),
          sequential: await measure(gateway, targets[name], 1, opts.sequential),
        };
        const l = out[name].loaded;
        const s = out[name].sequential;
        console.log(
          `round ${r + 1} ${name}: ${fmt(l.req_s, 0)} req/s, ${fmt(l.req_s_per_gateway_core, 0)} per gateway core, ` +
            `p99 ${fmt(l.latency_ms.p99, 2)} ms loaded; one at a time p50/p99 ${fmt(s.latency_ms.p50, 2)}/${fmt(s.latency_ms.p99, 2)} ms`,
        );
      }
      rounds.push(out);
    }
    const best = (name, f) => Math.max(...rounds.map((x) => f(x[name])));
    const least = (name, f) => Math.min(...rounds.map((x) => f(x[name])));
    const summary = {
      hit_req_s_per_gateway_core: best('cache_hit', (x) => x.loaded.req_s_per_gateway_core),
      baseline_req_s_per_gateway_core: best('baseline_models', (x) => x.loaded.req_s_per_gateway_core),
      hit_p99_ms_one_at_a_time: least('cache_hit', (x) => x.sequential.latency_ms.p99),
      hit_p99_ms_loaded: least('cache_hit', (x) => x.loaded.latency_ms.p99),
      baseline_p99_ms_one_at_a_time: least('baseline_models', (x) => x.sequential.latency_ms.p99),
    };
    summary.hit_vs_baseline_throughput = round(
      summary.hit_req_s_per_gateway_core / summary.baseline_req_s_per_gateway_core,
      3,
    );
    const md = [
      '# Response cache: hits through the whole gateway path',
      '',
      `Same run, same gateway: POST /v1/chat/completions answered from the cache (auth, rate limits, routing, Redis GET) against GET /v1/models (auth and rate limits only). ${opts.connections} connections for ${opts.duration} s, then one at a time for ${opts.sequential} s; best of ${opts.rounds} rounds.`,
      '',
      markdownTable(
        ['', 'req/s per gateway core', 'p99 one at a time (ms)', 'p99 loaded (ms)'],
        rounds.flatMap((x) =>
          ['cache_hit', 'baseline_models'].map((n) => [
            `round ${x.round} ${n}`,
            fmt(x[n].loaded.req_s_per_gateway_core, 0),
            fmt(x[n].sequential.latency_ms.p99, 2),
            fmt(x[n].loaded.latency_ms.p99, 2),
          ]),
        ),
      ),
      '',
      `Hits: ${fmt(summary.hit_req_s_per_gateway_core, 0)} req/s per gateway core (target ${TARGETS.hitReqPerGatewayCore}), ${fmt(summary.hit_vs_baseline_throughput * 100, 0)}% of the baseline route; p99 one at a time ${fmt(summary.hit_p99_ms_one_at_a_time, 2)} ms (target ${TARGETS.hitP99Ms}).`,
      '',
    ].join('\n');
    await writeResults('cache', { environment: environment(), options: opts, targets: TARGETS, summary, rounds }, md);
    console.log(md);
  } finally {
    await p.cleanup();
  }
}

runMain(main);
