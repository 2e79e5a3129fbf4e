// Remote-provider overhead: what a request through a remote model adds over calling that upstream directly,
// same run, same upstream. The upstream is a gateway of this platform (auth, inference worker, stories260k); the
// proxy is a second gateway whose models config maps `via-upstream` to it (provider openai-compatible). Each
// request is sent one at a time, alternating direct / proxied in blocks, non-streamed with max_tokens 1 (so the
// generation itself is short and what differs is the hop) and streamed (time to first content chunk).
//
//   npm run bench -- proxy [--requests 300] [--block 20]
//
// LiteLLM publishes 2 / 8 / 13 ms p50 / p95 / p99 of added latency for its proxy. Writes bench/results/proxy.*.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  REPO_ROOT,
  environment,
  fmt,
  markdownTable,
  parseArgs,
  percentile,
  round,
  runMain,
  writeResults,
} from './lib/common.mjs';
import { benchKey, startBenchPlatform } from './lib/gateway-setup.mjs';

const LITELLM = { p50: 2, p95: 8, p99: 13 };

async function timed(url, key, model, stream) {
  const t0 = performance.now();
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      model,
      max_tokens: stream ? 8 : 1,
      temperature: 1,
      stream,
      messages: [{ role: 'user', content: 'Once upon a time' }],
    }),
  });
  if (res.status !== 200) throw new Error(`${model} answered ${res.status}: ${await res.text()}`);
  if (!stream) {
    await res.arrayBuffer();
    return performance.now() - t0;
  }
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let seen = '';
  let ttft = null;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    seen += decoder.decode(value, { stream: true });
    if (ttft === null && /"content":"[^"]/.test(seen)) ttft = performance.now() - t0;
  }
  return ttft ?? performance.now() - t0;
}

const pct = (xs) => ({
  p50: round(percentile(xs, 50), 2),
  p95: round(percentile(xs, 95), 2),
  p99: round(percentile(xs, 99), 2),
});

async function main() {
  const opts = parseArgs(process.argv.slice(2), { requests: 300, block: 20 });
  const p = await startBenchPlatform('proxy');
  try {
    const upstream = await p.gateway();
    const key = await benchKey(upstream.url, p.database.admin);
    const config = readFileSync(resolve(REPO_ROOT, 'infra/config/models.yaml'), 'utf8').replace(
      /^models:\n/m,
      [
        'models:',
        '  - id: via-upstream',
        '    kind: remote',
        '    provider: openai-compatible',
        '    upstream_model: stories260k',
        '    endpoints:',
        `      - base_url: ${upstream.url}/v1`,
        '        api_key_env: BENCH_UPSTREAM_KEY',
        '    max_retries: 0',
        '',
      ].join('\n'),
    );
    const configPath = join(p.scratch, 'models.yaml');
    writeFileSync(configPath, config);
    const proxy = await p.gateway({ MODELS_CONFIG: configPath, BENCH_UPSTREAM_KEY: key });
    const sides = {
      direct: (stream) => timed(upstream.url, key, 'stories260k', stream),
      proxied: (stream) => timed(proxy.url, key, 'via-upstream', stream),
    };
    const out = {};
    for (const stream of [false, true]) {
      const samples = { direct: [], proxied: [] };
      for (const side of Object.keys(sides)) for (let i = 0; i < 10; i++) await sides[side](stream); // warm-up
      for (let done = 0; done < opts.requests; done += opts.block) {
        const order = (done / opts.block) % 2 ? ['proxied', 'direct'] : ['direct', 'proxied'];
        for (const side of order) for (let i = 0; i < opts.block; i++) samples[side].push(await sides[side](stream));
      }
      const d = pct(samples.direct);
      const x = pct(samples.proxied);
      out[stream ? 'stream_ttft' : 'whole_response'] = {
        direct_ms: d,
        proxied_ms: x,
        added_ms: { p50: round(x.p50 - d.p50, 2), p95: round(x.p95 - d.p95, 2), p99: round(x.p99 - d.p99, 2) },
      };
      console.log(
        `${stream ? 'stream TTFT' : 'whole response'}: direct ${JSON.stringify(d)} proxied ${JSON.stringify(x)}`,
      );
    }
    const row = (name, r) => [
      name,
      fmt(r.direct_ms.p50, 2),
      fmt(r.proxied_ms.p50, 2),
      fmt(r.added_ms.p50, 2),
      fmt(r.added_ms.p95, 2),
      fmt(r.added_ms.p99, 2),
    ];
    const md = [
      '# Remote-provider overhead: a request through a remote model against the upstream directly',
      '',
      `Same run, same upstream (a gateway of this platform serving stories260k); ${opts.requests} requests per side, one at a time, alternating in blocks of ${opts.block}. Added = proxied − direct at each percentile. LiteLLM publishes ${LITELLM.p50}/${LITELLM.p95}/${LITELLM.p99} ms p50/p95/p99 added.`,
      '',
      markdownTable(
        ['', 'direct p50 (ms)', 'proxied p50 (ms)', 'added p50', 'added p95', 'added p99'],
        [row('whole response (max_tokens 1)', out.whole_response), row('stream, time to first token', out.stream_ttft)],
      ),
      '',
    ].join('\n');
    await writeResults(
      'proxy',
      { environment: environment(), options: opts, litellm_published_ms: LITELLM, results: out },
      md,
    );
    console.log(md);
  } finally {
    await p.cleanup();
  }
}

runMain(main);
