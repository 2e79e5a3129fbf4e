// Metric names: the ones PromQL queries use (the Grafana dashboard, KEDA's prometheus triggers) and the ones the
// apps declare in their source (prom-client constructors), so `npm run k8s:validate` can tell a query that names a
// metric nobody exports. infra/scripts/deploy-metrics.e2e-spec.ts checks the same queries against the /metrics of
// real running apps.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

const PROMQL_KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
  'inf',
  'nan',
]);

/** The metric names a PromQL expression selects (functions, aggregations, labels and keywords left out). */
export function promqlMetricNames(expr) {
  const s = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""') // strings
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // ranges and subqueries
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ') // label lists
    .replace(/\b\d+(\.\d+)?(e[+-]?\d+)?\b/gi, ' ');
  const names = new Set();
  for (const m of s.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const after = s.slice(m.index + m[0].length).trimStart();
    if (after.startsWith('(')) continue; // a function or an aggregation
    if (PROMQL_KEYWORDS.has(m[0].toLowerCase())) continue;
    names.add(m[0]);
  }
  return [...names];
}

/** The series names a metric of this type exposes (a histogram is read through _bucket, _sum and _count). */
export function exposedNames(name, type) {
  if (type === 'histogram') return [`${name}_bucket`, `${name}_sum`, `${name}_count`];
  if (type === 'summary') return [name, `${name}_sum`, `${name}_count`];
  return [name];
}

function* tsFiles(dir) {
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) {
      if (entry !== 'node_modules' && entry !== 'test') yield* tsFiles(p);
    } else if (p.endsWith('.ts') && !/\.(spec|int-spec|e2e-spec)\.ts$/.test(p)) yield p;
  }
}

/**
 * Metrics the apps declare: every `new Counter|Gauge|Histogram|Summary({ name: '...' })` under apps/ * /src and
 * libs/ * /src, plus prom-client's default process and Node.js metrics (ObservabilityModule enables them).
 * Returns name -> { type, file }.
 */
export function declaredMetrics(root) {
  const out = new Map();
  for (const base of ['apps', 'libs']) {
    for (const proj of readdirSync(join(root, base))) {
      const src = join(root, base, proj, 'src');
      try {
        statSync(src);
      } catch {
        continue;
      }
      for (const file of tsFiles(src)) {
        const text = readFileSync(file, 'utf8');
        for (const m of text.matchAll(/new (Counter|Gauge|Histogram|Summary)\(\{\s*name:\s*'([a-zA-Z_:][\w:]*)'/g)) {
          const type = m[1].toLowerCase();
          for (const n of exposedNames(m[2], type)) out.set(n, { type, file: relative(root, file) });
        }
      }
    }
  }
  // prom-client collectDefaultMetrics (a sample of the stable names; dashboards may use these).
  for (const n of [
    'process_cpu_seconds_total',
    'process_resident_memory_bytes',
    'process_start_time_seconds',
    'process_open_fds',
    'nodejs_heap_size_used_bytes',
    'nodejs_heap_size_total_bytes',
    'nodejs_eventloop_lag_seconds',
    'nodejs_eventloop_lag_p99_seconds',
    'nodejs_active_handles_total',
  ]) {
    out.set(n, { type: 'default', file: 'prom-client collectDefaultMetrics' });
  }
  // Prometheus' own series for every scrape target.
  out.set('up', { type: 'gauge', file: 'Prometheus' });
  return out;
}

/** Every PromQL expression of a Grafana dashboard: [{ where, expr }]. */
export function dashboardQueries(dashboard) {
  const out = [];
  const walk = (panels, path) => {
    for (const p of panels ?? []) {
      for (const t of p.targets ?? []) {
        if (typeof t.expr === 'string')
          out.push({ where: `${path}panel "${p.title}" ${t.refId ?? ''}`.trim(), expr: t.expr });
      }
      if (p.panels) walk(p.panels, `${path}row "${p.title}" / `);
    }
  };
  walk(dashboard.panels, '');
  for (const v of dashboard.templating?.list ?? []) {
    const q = typeof v.query === 'string' ? v.query : v.query?.query;
    if (v.type === 'query' && typeof q === 'string') out.push({ where: `variable ${v.name}`, expr: q });
  }
  return out;
}

/** The PromQL queries of KEDA prometheus triggers in rendered objects: [{ where, expr }]. */
export function kedaQueries(objects) {
  const out = [];
  for (const o of objects) {
    if (o.kind !== 'ScaledObject' && o.kind !== 'ScaledJob') continue;
    for (const t of o.spec?.triggers ?? []) {
      if (t.type === 'prometheus' && t.metadata?.query) {
        out.push({ where: `${o.kind}/${o.metadata.name}`, expr: t.metadata.query });
      }
    }
  }
  return out;
}

/** Problems: each query naming a metric not in `known` (a Set or Map of series names). */
export function checkQueries(queries, known, label) {
  const problems = [];
  for (const { where, expr } of queries) {
    const names = promqlMetricNames(expr);
    if (names.length === 0) problems.push(`${label} ${where}: no metric in query ${JSON.stringify(expr)}`);
    for (const n of names) {
      if (!known.has(n)) problems.push(`${label} ${where}: metric ${n} is not exported by any app`);
    }
  }
  return problems;
}

/**
 * Every PromQL query the deployment makes, without rendering: the Grafana dashboards under
 * infra/grafana/dashboards and the KEDA prometheus triggers of the ScaledObjects under k8s/.
 * Returns [{ where, expr, names }].
 */
export function deploymentQueries(root) {
  const out = [];
  const dashDir = join(root, 'infra/grafana/dashboards');
  for (const f of readdirSync(dashDir).filter((n) => n.endsWith('.json'))) {
    for (const q of dashboardQueries(JSON.parse(readFileSync(join(dashDir, f), 'utf8')))) {
      out.push({ ...q, where: `${f} ${q.where}` });
    }
  }
  const yamlFiles = (dir) =>
    readdirSync(dir).flatMap((e) => {
      const p = join(dir, e);
      return statSync(p).isDirectory() ? yamlFiles(p) : /\.ya?ml$/.test(e) ? [p] : [];
    });
  for (const file of yamlFiles(join(root, 'k8s'))) {
    const objects = parseAllDocuments(readFileSync(file, 'utf8'))
      .map((d) => d.toJS())
      .filter(Boolean);
    for (const q of kedaQueries(objects)) out.push({ ...q, where: `${relative(root, file)} ${q.where}` });
  }
  return out.map((q) => ({ ...q, names: promqlMetricNames(q.expr) }));
}

// `node infra/scripts/deploy-metrics.mjs`: the deployment's queries and the metric names they use, as JSON.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
  console.log(JSON.stringify(deploymentQueries(root), null, 2));
}
