// Memory over time, wherever a results file records it. No benchmark has a fixed shape for it yet, so any array of
// two or more samples that each carry a time and a memory figure counts, at any depth (environment excluded):
//   [{ t_s: 0, rss_mib: 180.2, process: 'gateway' }, ...]            time: t_s, time_s, elapsed_s, t_ms, elapsed_ms
//   { memory: { platform: [{ t_s, rss_bytes }], in_process: [...] } } memory: a number in a field named *rss*,
//                                                                     *heap* or *mem*; unit from its suffix
//                                                                     (_bytes, _kib/_kb, _mib/_mb, _gib/_gb; MiB
//                                                                     when none)
// A sample's series is its `process`, `target`, `side` or `name` field, else the path of its array (container names
// such as `memory` left out), plus the memory field's name when a sample has several.
import { lines } from './report-render.mjs';

const TIME_FIELDS = [
  ['t_s', 1],
  ['time_s', 1],
  ['elapsed_s', 1],
  ['t_ms', 1 / 1000],
  ['time_ms', 1 / 1000],
  ['elapsed_ms', 1 / 1000],
];
const LABEL_FIELDS = ['process', 'target', 'side', 'name'];

function mib(field, value) {
  if (/bytes$/i.test(field)) return value / 2 ** 20;
  if (/(kib|kb)$/i.test(field)) return value / 1024;
  if (/(gib|gb)$/i.test(field)) return value * 1024;
  return value;
}

function samples(array, path) {
  const objects = array.filter((x) => x && typeof x === 'object' && !Array.isArray(x));
  if (objects.length < 2 || objects.length !== array.length) return [];
  const time = TIME_FIELDS.find(([f]) => objects.every((o) => Number.isFinite(o[f])));
  if (!time) return [];
  const fields = Object.keys(objects[0]).filter(
    (k) => /rss|heap|mem/i.test(k) && objects.some((o) => typeof o[k] === 'number' && Number.isFinite(o[k])),
  );
  // `memory.gateway` → "gateway": the container's own name says nothing about the series.
  const named = path.filter((p) => !/^(memory|memory_series|rss|rss_series|samples|series)$/i.test(p));
  const where = (named.length ? named : path).join(' ') || 'memory';
  const rows = [];
  for (const o of objects) {
    const label = LABEL_FIELDS.map((f) => o[f]).find((v) => typeof v === 'string') ?? where;
    for (const f of fields) {
      if (!Number.isFinite(o[f])) continue;
      rows.push({ x: o[time[0]] * time[1], value: mib(f, o[f]), series: fields.length > 1 ? `${label} ${f}` : label });
    }
  }
  return rows;
}

/** Every memory sample of a result, as chart rows { x: seconds, value: MiB, series }. */
export function memorySeries(json) {
  const rows = [];
  const visit = (node, path) => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      const found = samples(node, path);
      if (found.length) rows.push(...found);
      else node.forEach((x, i) => visit(x, [...path, String(i)]));
      return;
    }
    for (const [k, v] of Object.entries(node)) if (!(path.length === 0 && k === 'environment')) visit(v, [...path, k]);
  };
  visit(json, []);
  return rows;
}

/** The memory chart of a result, or null when it has no memory series. */
export function memoryChart(json, base) {
  const rows = memorySeries(json);
  if (!rows.length) return null;
  const series = [...new Set(rows.map((r) => r.series))];
  // Baselines first, so they get the first colour as in the other charts.
  series.sort((a, b) => Number(/baseline|in.process/i.test(b)) - Number(/baseline|in.process/i.test(a)));
  return {
    file: `${base}-memory.png`,
    title: `Memory over time (${base})`,
    spec: lines({
      title: `Memory over time: ${base}`,
      subtitle: json.environment?.date ? `${json.environment.date.slice(0, 16).replace('T', ' ')} UTC` : undefined,
      rows,
      series,
      xTitle: 's',
      valueTitle: 'MiB',
    }),
  };
}
