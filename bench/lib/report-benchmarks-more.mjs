// The report's view of the benchmarks beyond inference, embeddings, auth and history (see report-benchmarks.mjs):
// headline and charts of each, every field optional.
import { fmt } from './common.mjs';
import { groupedBars, num, pct, provenance, ratio } from './report-render.mjs';

function cacheCharts(json, base) {
  const s = json.summary ?? {};
  const B = 'GET /v1/models, no cache (baseline)';
  const H = 'cache hit, POST /v1/chat/completions';
  const rows = [
    { facet: 'req/s per gateway core', group: 'loaded', series: B, value: num(s.baseline_req_s_per_gateway_core) },
    { facet: 'req/s per gateway core', group: 'loaded', series: H, value: num(s.hit_req_s_per_gateway_core) },
    { facet: 'p99 ms', group: 'one at a time', series: B, value: num(s.baseline_p99_ms_one_at_a_time) },
    { facet: 'p99 ms', group: 'one at a time', series: H, value: num(s.hit_p99_ms_one_at_a_time) },
  ];
  return [
    {
      file: `${base}-hits.png`,
      title: 'Response cache hits against the cheapest authenticated route',
      spec: groupedBars({
        title: 'Response cache hits against the cheapest authenticated route',
        subtitle: provenance(json),
        rows,
        series: [B, H],
        groupTitle: null,
        valueTitle: null,
      }),
    },
  ];
}

function overloadCharts(json, base) {
  const phases = Array.isArray(json.phases) ? json.phases : [];
  // The unbounded phase (everything queues: the behaviour before bounded queues) is the baseline.
  const label = (p) => (p.phase === 'unbounded' ? 'unbounded queue (baseline)' : String(p.phase));
  const ordered = [...phases.filter((p) => p.phase === 'unbounded'), ...phases.filter((p) => p.phase !== 'unbounded')];
  const rows = ordered.flatMap((p) =>
    ['p50', 'p99'].map((q) => ({
      group: q,
      series: label(p),
      value: num(p.served_ttft_ms?.[q]) === undefined ? undefined : p.served_ttft_ms[q] / 1000,
    })),
  );
  return [
    {
      file: `${base}-ttft.png`,
      title: 'Served time to first token under a burst',
      spec: groupedBars({
        title: `Served time to first token, ${json.config?.streams ?? '?'} streams on ${json.config?.slots ?? '?'} slots`,
        subtitle: provenance(json),
        rows,
        series: ordered.map(label),
        groupTitle: null,
        valueTitle: 's',
      }),
    },
  ];
}

function overloadHeadline(json) {
  const by = Object.fromEntries((json.phases ?? []).map((p) => [p.phase, p]));
  const b = by.bounded;
  const u = by.unbounded;
  if (!b || num(b.served) === undefined) return '';
  return (
    `bounded: ${b.served ?? '?'} served, ${b.refused_429 ?? '?'} × 429, ${b.server_errors_5xx ?? '?'} × 5xx, served ` +
    `TTFT p99 ${fmt((b.served_ttft_ms?.p99 ?? NaN) / 1000, 2)} s; unbounded ${fmt((u?.served_ttft_ms?.p99 ?? NaN) / 1000, 2)} s`
  );
}

function proxyCharts(json, base) {
  const r = json.results ?? {};
  const D = 'upstream directly (baseline)';
  const P = 'through the proxy gateway';
  const rows = [
    ['whole_response', 'whole response (max_tokens 1)'],
    ['stream_ttft', 'stream, time to first token'],
  ].flatMap(([key, facet]) =>
    ['p50', 'p95', 'p99'].flatMap((p) => [
      { facet, group: p, series: D, value: num(r[key]?.direct_ms?.[p]) },
      { facet, group: p, series: P, value: num(r[key]?.proxied_ms?.[p]) },
    ]),
  );
  return [
    {
      file: `${base}-latency.png`,
      title: 'Remote-provider overhead',
      spec: groupedBars({
        title: 'A remote model through the gateway against its upstream directly',
        subtitle: provenance(json),
        rows,
        series: [D, P],
        groupTitle: null,
        valueTitle: 'ms',
      }),
    },
  ];
}

function proxyHeadline(json) {
  const a = json.results?.whole_response?.added_ms;
  const l = json.litellm_published_ms;
  if (num(a?.p50) === undefined) return '';
  return `adds ${fmt(a?.p50, 2)} / ${fmt(a?.p99, 2)} ms p50 / p99 (LiteLLM publishes ${l?.p50 ?? '?'} / ${l?.p99 ?? '?'})`;
}

function ragCharts(json, base) {
  const B = 'in-process chunk + embed loop (baseline)';
  const P = 'platform: file batch attach → completed';
  const ingest = [
    { group: 'ingest', series: B, value: num(json.baseline_ingest?.chunks_per_s) },
    { group: 'ingest', series: P, value: num(json.ingest?.chunks_per_s) },
  ];
  const search = (Array.isArray(json.search) ? json.search : []).flatMap((s) =>
    ['p50', 'p99'].flatMap((p) => [
      { facet: p, group: `${s.chunks} chunks`, series: 'vector only', value: num(s.vector?.[p]) },
      { facet: p, group: `${s.chunks} chunks`, series: 'hybrid (vector + full text)', value: num(s.hybrid?.[p]) },
    ]),
  );
  return [
    {
      file: `${base}-ingest.png`,
      title: 'RAG ingest throughput',
      spec: groupedBars({
        title: 'RAG ingest: chunks per second',
        subtitle: provenance(json),
        rows: ingest,
        series: [B, P],
        groupTitle: null,
        valueTitle: 'chunks/s',
      }),
    },
    {
      file: `${base}-search.png`,
      title: 'RAG search latency against corpus size',
      spec: groupedBars({
        title: 'Search latency through the gateway against corpus size',
        subtitle: provenance(json),
        rows: search,
        series: ['vector only', 'hybrid (vector + full text)'],
        groupTitle: null,
        valueTitle: 'ms',
      }),
    },
  ];
}

function ragHeadline(json) {
  const h = json.quality?.hybrid;
  if (num(h?.hit_at_1) === undefined && num(json.ingest?.chunks_per_s) === undefined) return '';
  const ratioIngest = ratio(json.ingest?.chunks_per_s, json.baseline_ingest?.chunks_per_s);
  return (
    `hybrid hit@1 ${fmt(h?.hit_at_1, 3)}, MRR ${fmt(h?.mrr, 3)}; ingest ${fmt(json.ingest?.chunks_per_s, 0)} chunks/s ` +
    `(${pct(ratioIngest)} of in-process)`
  );
}

function toolsCharts(json, base) {
  const s = json.summary ?? {};
  const modes = [
    ['free', 'free generation (baseline)'],
    ['json_schema', 'JSON schema grammar'],
    ['forced_call', 'forced function call'],
  ];
  const rows = modes.flatMap(([k, series]) => [
    { facet: 'tokens/s', group: 'decode', series, value: num(s[k]?.tokens_per_s) },
    { facet: 'valid output (%)', group: 'validity', series, value: (num(s[k]?.validity_of_finished) ?? NaN) * 100 },
  ]);
  return [
    {
      file: `${base}-modes.png`,
      title: 'Grammar-constrained generation against free generation',
      spec: groupedBars({
        title: `Structured generation against free generation (${json.model ?? 'model'}, in-process)`,
        subtitle: provenance(json),
        rows,
        series: modes.map(([, l]) => l),
        groupTitle: null,
        valueTitle: null,
      }),
    },
  ];
}

function toolsHeadline(json) {
  const s = json.summary ?? {};
  if (!s.json_schema) return '';
  return (
    `JSON schema ${pct(s.json_schema?.validity_of_finished)} valid at ${fmt(s.json_schema?.tokens_per_s, 0)} tok/s, ` +
    `forced call ${pct(s.forced_call?.validity_of_finished)} at ${fmt(s.forced_call?.tokens_per_s, 0)} tok/s; free ` +
    `${pct(s.free?.validity_of_finished)} at ${fmt(s.free?.tokens_per_s, 0)} tok/s`
  );
}

function transportCharts(json, base) {
  const rows = (Array.isArray(json.summary) ? json.summary : []).flatMap((r) => {
    const series =
      r.transport === 'pubsub'
        ? 'PUBLISH / SUBSCRIBE (in use)'
        : r.transport === 'stream'
          ? 'Stream: XADD + XREAD BLOCK'
          : String(r.transport);
    return [
      { facet: 'latency p50 (µs)', group: r.mode, series, value: num(r.latency_p50_us) },
      { facet: 'latency p99 (µs)', group: r.mode, series, value: num(r.latency_p99_us) },
    ];
  });
  const seen = [...new Set(rows.map((r) => r.series))];
  const series = [...seen.filter((x) => x.startsWith('PUBLISH')), ...seen.filter((x) => !x.startsWith('PUBLISH'))];
  return [
    {
      file: `${base}-latency.png`,
      title: 'Token transport: pub/sub against Streams',
      spec: groupedBars({
        title: 'Token-sized messages between two Redis connections',
        subtitle: ['latency one at a time, at a steady rate and back to back (log scale)', provenance(json)],
        rows,
        series,
        groupTitle: null,
        valueTitle: 'µs',
        log: true,
      }),
    },
  ];
}

function transportHeadline(json) {
  const rows = Array.isArray(json.summary) ? json.summary : [];
  const f = (t, m) => rows.find((r) => r.transport === t && r.mode === m);
  if (!f('pubsub', 'latency')) return '';
  return (
    `pub/sub p50 ${fmt(f('pubsub', 'latency')?.latency_p50_us, 1)} µs, ${fmt(f('pubsub', 'throughput')?.throughput_msg_s, 0)} msg/s; ` +
    `stream ${fmt(f('stream', 'latency')?.latency_p50_us, 1)} µs, ${fmt(f('stream', 'throughput')?.throughput_msg_s, 0)} msg/s`
  );
}

function cacheHeadline(json) {
  const s = json.summary ?? {};
  if (num(s.hit_req_s_per_gateway_core) === undefined) return '';
  return (
    `${fmt(s.hit_req_s_per_gateway_core, 0)} hit req/s per gateway core (target ≥ ${json.targets?.hitReqPerGatewayCore ?? '?'}), ` +
    `${pct(s.hit_vs_baseline_throughput)} of GET /v1/models; hit p99 ${fmt(s.hit_p99_ms_one_at_a_time, 2)} ms one at a time`
  );
}

export const MORE = {
  cache: { charts: cacheCharts, headline: cacheHeadline, tables: [0] },
  overload: { charts: overloadCharts, headline: overloadHeadline, tables: [0] },
  proxy: { charts: proxyCharts, headline: proxyHeadline, tables: [0] },
  rag: { charts: ragCharts, headline: ragHeadline, tables: [0, 1, 2] },
  tools: { charts: toolsCharts, headline: toolsHeadline, tables: [0] },
  transport: { charts: transportCharts, headline: transportHeadline, tables: [0] },
};
