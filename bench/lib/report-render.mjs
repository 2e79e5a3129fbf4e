// Charts of the benchmark report: Vega-Lite specs rendered to SVG in Node (vega's headless 'none' renderer, no
// canvas) and rasterised to PNG by resvg (prebuilt binaries from npm; no native canvas build, no downloads).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

// The first family installed wins; DejaVu Sans ships with most Linux distributions, the others elsewhere.
const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';
const SCALE = 2;

/** The same target gets the same colour in every chart: baselines blue, the platform orange, peers after. */
const PALETTE = ['#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2', '#b279a2', '#eeca3b', '#9d755d'];

let libs;
async function load() {
  // vega and vega-lite are ES modules; resvg is a CommonJS package with a prebuilt native binding per platform.
  libs ??= {
    vega: await import('vega'),
    vegaLite: await import('vega-lite'),
    Resvg: require('@resvg/resvg-js').Resvg,
  };
  return libs;
}

/** A Vega-Lite spec as a PNG image (a Buffer). */
export async function renderPng(spec) {
  const { vega, vegaLite, Resvg } = await load();
  const full = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    background: 'white',
    padding: 12,
    config: {
      font: FONT,
      title: { fontSize: 14, subtitleFontSize: 11, subtitleColor: '#555', anchor: 'start' },
      axis: { labelFontSize: 11, titleFontSize: 11 },
      legend: { labelFontSize: 11, labelLimit: 400, titleFontSize: 11 },
      header: { labelFontSize: 12, titleFontSize: 12 },
    },
    ...spec,
  };
  const view = new vega.View(vega.parse(vegaLite.compile(full).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: SCALE },
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
  });
  return resvg.render().asPng();
}

// Labels. `num`: a finite number or undefined; `pct`: a share as "12.3%"; `ratio`: a / b when both are there.
export const num = (x) => (typeof x === 'number' && Number.isFinite(x) ? x : undefined);
export const pct = (x) => (num(x) === undefined ? 'n/a' : `${(x * 100).toFixed(1)}%`);
export const ratio = (a, b) => (num(a) !== undefined && num(b) ? a / b : undefined);

/** When and at which commit a result was measured, for a chart's subtitle. */
export function provenance(json) {
  const env = json?.environment ?? {};
  const commit = env.git_commit ? ` · commit ${env.git_commit.slice(0, 10)}${env.git_dirty ? ' (dirty)' : ''}` : '';
  return `${env.date ? env.date.slice(0, 16).replace('T', ' ') + ' UTC' : 'undated'}${commit}`;
}

/** A short label for a bar: about three significant figures. */
export function valueLabel(v) {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '';
  const a = Math.abs(v);
  return v.toFixed(a >= 100 ? 0 : a >= 10 ? 1 : 2);
}

function colorScale(series) {
  return { domain: series, range: series.map((_, i) => PALETTE[i % PALETTE.length]) };
}

/**
 * Grouped bars: one group per `group` value, one bar per `series` in it (the targets side by side), the value
 * printed on each bar. rows: [{ group, series, value, facet? }]; series in `series` order (baseline first).
 * `facet` splits the chart into columns with their own value scale. Rows without a finite value are left out.
 */
export function groupedBars({ title, subtitle, rows, series, groupTitle, valueTitle, log = false, facetTitle }) {
  // `headroom` (an invisible point above each bar) stretches each facet's scale so the labels on top fit.
  const values = rows
    .filter((r) => typeof r.value === 'number' && Number.isFinite(r.value) && (!log || r.value > 0))
    .map((r) => ({ ...r, label: valueLabel(r.value), headroom: log ? r.value * 1.8 : r.value * 1.1 }));
  const groups = [...new Set(values.map((r) => r.group))];
  const present = series.filter((s) => values.some((r) => r.series === s));
  // Group labels break at ', ' into lines; the widest line sets the room a group needs.
  const widest = Math.max(
    0,
    ...groups.map((g) =>
      Math.max(
        ...String(g)
          .split(', ')
          .map((l) => l.length),
      ),
    ),
  );
  const perGroup = Math.max(present.length * 30 + 30, widest * 7 + 16);
  const inner = {
    width: Math.max(300, groups.length * perGroup),
    height: 260,
    encoding: {
      x: {
        field: 'group',
        type: 'nominal',
        sort: groups,
        title: groupTitle,
        axis: { labelAngle: 0, labelLimit: 0, labelExpr: "split(datum.label, ', ')" },
      },
      xOffset: { field: 'series', type: 'nominal', sort: present },
      color: seriesColor(present),
    },
    layer: [
      { mark: { type: 'bar' }, encoding: { y: yEncoding('value', valueTitle, log) } },
      {
        mark: { type: 'text', dy: -5, fontSize: 10 },
        encoding: { y: yEncoding('value', valueTitle, log), text: { field: 'label' } },
      },
      { mark: { type: 'point', opacity: 0 }, encoding: { y: yEncoding('headroom', valueTitle, log) } },
    ],
  };
  const head = { title: titled(title, subtitle), data: { values } };
  if (!values.some((r) => r.facet !== undefined)) return { ...head, ...inner };
  const facets = [...new Set(values.map((r) => r.facet))];
  return {
    ...head,
    facet: { column: { field: 'facet', type: 'nominal', sort: facets, title: facetTitle ?? null } },
    spec: inner,
    resolve: { scale: { x: 'independent', xOffset: 'independent', y: 'independent' } },
  };
}

/** One colour per series, in the order given, with the legend below the chart. */
function seriesColor(present) {
  return {
    field: 'series',
    type: 'nominal',
    sort: present,
    scale: colorScale(present),
    title: null,
    legend: { orient: 'bottom', direction: 'vertical' },
  };
}

function yEncoding(field, title, log) {
  return { field, type: 'quantitative', title, stack: null, scale: log ? { type: 'log' } : { zero: true } };
}

/** A title with its subtitle lines (a string or an array of them). */
function titled(text, subtitle) {
  return subtitle ? { text, subtitle } : text;
}

/** Lines over time: rows [{ x, series, value }], one line per series (memory over a soak). */
export function lines({ title, subtitle, rows, series, xTitle, valueTitle }) {
  const values = rows.filter((r) => Number.isFinite(r.x) && Number.isFinite(r.value));
  const present = series.filter((s) => values.some((r) => r.series === s));
  return {
    title: titled(title, subtitle),
    data: { values },
    width: 520,
    height: 260,
    mark: { type: 'line', point: values.length <= 60 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: xTitle },
      y: { field: 'value', type: 'quantitative', title: valueTitle, scale: { zero: false } },
      color: seriesColor(present),
    },
  };
}
