// What the report shows of each benchmark: a one-line headline, the charts (built from one results file, so every
// target in a chart is beside the baseline of the same run) and which tables of the benchmark's own .md to quote.
// Every field is optional: a result without it gives no bar (or no chart), never an exception. The benchmarks the
// issue names are here; the others are in report-benchmarks-more.mjs.
import { fmt } from './common.mjs';
import { MORE } from './report-benchmarks-more.mjs';
import { groupedBars, num, pct, provenance, ratio } from './report-render.mjs';

// ---------------------------------------------------------------------------------------------------- inference

// summary.<side> for every side the inference benchmark measured; in_process is the baseline of the others.
const INFERENCE_SIDES = {
  in_process: 'node-llama-cpp in-process (baseline)',
  platform: 'platform (HTTP → BullMQ → worker → SSE)',
  platform_llama_server: 'platform, llama-server engine',
  llama_server: 'llama-server (llama.cpp HTTP server)',
};

/** [key, label] of each side in summary with throughput_c<N>_tok_s or ttft_c<N>_ms figures, baseline first. */
export function inferenceSides(summary) {
  const isSide = (v) =>
    v && typeof v === 'object' && Object.keys(v).some((k) => /^(throughput_c\d+_tok_s|ttft_c\d+_ms)$/.test(k));
  const keys = Object.keys(summary ?? {}).filter((k) => isSide(summary[k]));
  const known = Object.keys(INFERENCE_SIDES);
  keys.sort((a, b) => (known.indexOf(a) + 1 || 99) - (known.indexOf(b) + 1 || 99));
  return keys.map((k) => [k, INFERENCE_SIDES[k] ?? k.replace(/_/g, ' ')]);
}

function levels(obj, re) {
  return Object.keys(obj ?? {})
    .map((k) => [k, re.exec(k)])
    .filter(([, m]) => m)
    .map(([k, m]) => [k, Number(m[1])])
    .sort((a, b) => a[1] - b[1]);
}

function inferenceCharts(json, base) {
  const s = json.summary ?? {};
  const cfg = json.config ?? {};
  const sides = inferenceSides(s);
  const series = sides.map(([, label]) => label);
  const model = cfg.modelId ?? base.replace(/^inference-/, '');
  const throughput = sides.flatMap(([key, label]) =>
    levels(s[key], /^throughput_c(\d+)_tok_s$/).map(([k, c]) => ({
      group: `concurrency ${c}`,
      series: label,
      value: num(s[key][k]),
    })),
  );
  const ttft = sides.flatMap(([key, label]) =>
    levels(s[key], /^ttft_c(\d+)_ms$/).flatMap(([k, c]) =>
      ['p50', 'p90', 'p99'].map((p) => ({
        facet: `concurrency ${c}`,
        group: p,
        series: label,
        value: num(s[key][k]?.[p]),
      })),
    ),
  );
  const setup = [
    cfg.maxTokens && `${cfg.maxTokens} tokens per request`,
    cfg.slots && `${cfg.slots} slots`,
    cfg.threads && `${cfg.threads} thread${cfg.threads > 1 ? 's' : ''}`,
    cfg.rounds && `median of ${cfg.rounds} rounds`,
  ].filter(Boolean);
  return [
    {
      file: `${base}-throughput.png`,
      title: `Decode throughput against concurrency (${model})`,
      spec: groupedBars({
        title: `Decode throughput against concurrency: ${model}`,
        subtitle: [setup.join(', '), provenance(json)],
        rows: throughput,
        series,
        groupTitle: null,
        valueTitle: 'tokens/s (all requests together)',
      }),
    },
    {
      file: `${base}-ttft.png`,
      title: `Time to first token distribution (${model})`,
      spec: groupedBars({
        title: `Time to first token: ${model}`,
        subtitle: ['percentiles of every request of every round, log scale', provenance(json)],
        rows: ttft,
        series,
        groupTitle: null,
        valueTitle: 'ms',
        log: true,
      }),
    },
  ];
}

function inferenceHeadline(json) {
  const s = json.summary ?? {};
  const sides = inferenceSides(s);
  const [baseKey] = sides[0] ?? [];
  const conc = levels(s[baseKey], /^throughput_c(\d+)_tok_s$/);
  if (!conc.length) return '';
  const cs = conc.map(([, c]) => c).join(' / ');
  const parts = sides.map(([key, label]) => {
    const tok = conc.map(([k]) => fmt(s[key]?.[k], 0)).join(' / ');
    const rel = key === baseKey ? '' : ` (${conc.map(([k]) => pct(ratio(s[key]?.[k], s[baseKey]?.[k]))).join(' / ')})`;
    return `${label.replace(/ \(.*\)$/, '')} ${tok}${rel}`;
  });
  return `tok/s at concurrency ${cs}: ${parts.join('; ')}`;
}

// --------------------------------------------------------------------------------------------------- embeddings

const EMB_BASELINE = 'in-process transformers.js loop (baseline)';
const EMB_SINGLE = 'platform, one text per request';
const EMB_BATCHED = 'platform, texts batched by the client';

/** summary.texts_per_s keys as (texts at a time, target). */
function embeddingRows(tps, concurrency) {
  const rows = [];
  for (const [k, v] of Object.entries(tps ?? {})) {
    let m;
    if (k === 'in_process_one_per_call') rows.push({ n: 1, series: EMB_BASELINE, v });
    else if ((m = /^in_process_batched_(\d+)$/.exec(k))) rows.push({ n: Number(m[1]), series: EMB_BASELINE, v });
    else if (k === 'platform_sequential') rows.push({ n: 1, series: EMB_SINGLE, v });
    else if ((m = /^platform_(\d+)_concurrent$/.exec(k))) rows.push({ n: Number(m[1]), series: EMB_SINGLE, v });
    else if ((m = /^platform_client_batched_(\d+)_per_request$/.exec(k))) {
      rows.push({ n: Number(m[1]), series: EMB_BATCHED, v });
    } else rows.push({ n: concurrency ?? 0, series: k.replace(/_/g, ' '), v });
  }
  return rows
    .sort((a, b) => a.n - b.n)
    .map((r) => ({ group: `${r.n} text${r.n === 1 ? '' : 's'} at a time`, series: r.series, value: num(r.v) }));
}

function embeddingsCharts(json, base) {
  const s = json.summary ?? {};
  const cfg = json.config ?? {};
  const rows = embeddingRows(s.texts_per_s, cfg.concurrency);
  const others = [...new Set(rows.map((r) => r.series))].filter(
    (x) => ![EMB_BASELINE, EMB_SINGLE, EMB_BATCHED].includes(x),
  );
  const workload = cfg.workload ?? base.replace(/^embeddings-/, '');
  const batch = num(s.worker?.mean_batch_size_concurrent);
  return [
    {
      file: `${base}-batching.png`,
      title: `Embedding batching (${workload})`,
      spec: groupedBars({
        title: `Embedding throughput and batching: ${cfg.model ?? 'model'}, ${workload}`,
        subtitle: [
          'in-process: texts per call; platform: concurrent one-text clients,',
          'or texts per request from the client' +
            (batch ? `; worker's mean batch with ${cfg.concurrency ?? '?'} clients: ${fmt(batch, 1)}` : ''),
          provenance(json),
        ],
        rows,
        series: [EMB_BASELINE, EMB_SINGLE, EMB_BATCHED, ...others],
        groupTitle: null,
        valueTitle: 'texts/s',
      }),
    },
  ];
}

function embeddingsHeadline(json) {
  const s = json.summary ?? {};
  const tps = s.texts_per_s ?? {};
  const conc = Object.entries(tps).find(([k]) => /^platform_\d+_concurrent$/.test(k));
  if (!conc) return '';
  return (
    `platform ${fmt(conc[1], 0)} texts/s with ${json.config?.concurrency ?? '?'} clients: ` +
    `${fmt(s.ratios?.concurrent_vs_sequential, 2)}x one at a time, ${pct(s.ratios?.concurrent_vs_in_process_batched)} ` +
    `of in-process batched (${fmt(Object.entries(tps).find(([k]) => /^in_process_batched/.test(k))?.[1], 0)} texts/s)`
  );
}

// ---------------------------------------------------------------------------------------------------------- auth

function authCharts(json, base) {
  const s = json.summary ?? {};
  const sides = [
    ['baseline', 'no auth: AUTH_REQUIRED=false (baseline)'],
    ['auth', 'API key + rate limits'],
  ];
  const measures = [
    ['throughput', 'req_s', 'saturated, 32 connections'],
    ['sequential', 'req_s', 'one request at a time'],
    ['throughput', 'req_s_per_gateway_core', 'per core of gateway CPU'],
  ];
  const rows = sides.flatMap(([key, series]) =>
    measures.map(([phase, field, group]) => ({ group, series, value: num(s[key]?.[phase]?.[field]) })),
  );
  return [
    {
      file: `${base}-throughput.png`,
      title: 'Authenticated no-op request against the unauthenticated baseline',
      spec: groupedBars({
        title: 'GET /v1/models: with API-key auth and rate limits against without',
        subtitle: [`median of ${json.config?.rounds ?? '?'} rounds`, provenance(json)],
        rows,
        series: sides.map(([, l]) => l),
        groupTitle: null,
        valueTitle: 'requests/s',
      }),
    },
  ];
}

function authHeadline(json) {
  const s = json.summary ?? {};
  if (num(s.auth?.throughput?.req_s) === undefined) return '';
  return (
    `${fmt(s.auth?.throughput?.req_s, 0)} req/s with auth against ${fmt(s.baseline?.throughput?.req_s, 0)} without ` +
    `(${pct(s.comparison?.throughput_ratio)}); ${fmt(s.auth?.throughput?.req_s_per_gateway_core, 0)} req/s per ` +
    `gateway core (target ≥ ${json.targets?.reqPerGatewayCore ?? '?'})`
  );
}

// ------------------------------------------------------------------------------------------------------- history

function historyCharts(json, base) {
  const series = json.series ?? {};
  const paths = [
    ['in_process', 'in-process fit + render (baseline)'],
    ['load_context', 'loadContext RPC alone'],
    ['dry_run', 'dry run through the platform'],
  ];
  const rows = [];
  for (const p of ['p50', 'p99']) {
    for (const conv of ['summarized', 'unsummarized']) {
      for (const recall of ['recall_off', 'recall_on']) {
        for (const [key, label] of paths) {
          rows.push({
            facet: p,
            group: `${conv}, ${recall.replace('_', ' ')}`,
            series: label,
            value: num(series[`${key}/${conv}/${recall}`]?.[`${p}_ms`]),
          });
        }
      }
    }
  }
  return [
    {
      file: `${base}-latency.png`,
      title: 'Prompt building of a 1,000-item conversation',
      spec: groupedBars({
        title: `Prompt building, ${json.config?.items ?? '?'}-item conversation: dry run against its parts`,
        subtitle: [
          `target: dry run p50 ≤ ${json.target?.dry_run_p50_ms_excluding_embedding ?? '?'} ms, recall off`,
          provenance(json),
        ],
        rows,
        series: paths.map(([, l]) => l),
        groupTitle: null,
        valueTitle: 'ms',
      }),
    },
  ];
}

function historyHeadline(json) {
  const s = json.series ?? {};
  if (num(s['dry_run/summarized/recall_off']?.p50_ms) === undefined) return '';
  return (
    `dry run p50 ${fmt(s['dry_run/summarized/recall_off']?.p50_ms, 2)} ms summarized, ` +
    `${fmt(s['dry_run/unsummarized/recall_off']?.p50_ms, 2)} ms unsummarized (recall off; target ≤ ` +
    `${json.target?.dry_run_p50_ms_excluding_embedding ?? '?'} ms); in-process ${fmt(s['in_process/summarized/recall_off']?.p50_ms, 2)} ms`
  );
}

/**
 * The report's view of each benchmark, by the name of its bench/<name>.mjs; a results file `<name>` or
 * `<name>-<variant>` belongs to it. `tables`: which tables of its .md to quote (0 = the first).
 */
export const BENCHMARKS = {
  inference: { charts: inferenceCharts, headline: inferenceHeadline, tables: [0] },
  embeddings: { charts: embeddingsCharts, headline: embeddingsHeadline, tables: [0] },
  auth: { charts: authCharts, headline: authHeadline, tables: [0] },
  history: { charts: historyCharts, headline: historyHeadline, tables: [0, 1] },
  ...MORE,
};

const GENERIC = { charts: () => [], headline: () => '', tables: [0] };

/** The benchmark a results file belongs to (`inference-stories260k` → inference), and its report view. */
export function benchmarkOf(results, names) {
  const all = [...new Set([...Object.keys(BENCHMARKS), ...names])].sort((a, b) => b.length - a.length);
  const name = all.find((n) => results === n || results.startsWith(`${n}-`)) ?? results;
  return { name, view: BENCHMARKS[name] ?? GENERIC };
}
