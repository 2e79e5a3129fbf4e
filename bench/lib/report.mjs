// The benchmark report: reads every bench/results/<results>.json (and its .md), writes
//   bench/results/<YYYY-MM-DD>.json  every result combined, with the environment and what the all-run ran / failed
//   bench/results/REPORT.md          per benchmark a headline, its key table(s) from its own .md, and charts
//   bench/results/charts/*.png       the charts (each from one results file: targets beside their same-run baseline)
// Built by `npm run bench` after the all-run, or alone by `npm run bench -- report` (`node bench/run.mjs report`).
// A benchmark of the plan without a results file is "not run"; a field missing from a result leaves out its bar.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RESULTS_DIR, environment, markdownTable, prettierFormat } from './common.mjs';
import { benchmarkOf } from './report-benchmarks.mjs';
import { memoryChart } from './report-memory.mjs';
import { allRunPlan, availableBenchmarks } from './report-plan.mjs';
import { renderPng } from './report-render.mjs';

const DATED = /^\d{4}-\d{2}-\d{2}\.json$/;
// Sections in the order of the issue; benchmarks not named here follow, alphabetically.
const ORDER = ['inference', 'embeddings', 'auth', 'history'];

/** Every results file in `dir`: { results, json, md, error } by results name. Dated report files are not results. */
function readResults(dir) {
  const out = new Map();
  if (!existsSync(dir)) return out;
  for (const f of readdirSync(dir).sort()) {
    if (!f.endsWith('.json') || DATED.test(f)) continue;
    const results = f.slice(0, -'.json'.length);
    const mdPath = join(dir, `${results}.md`);
    const entry = { results, json: null, md: existsSync(mdPath) ? readFileSync(mdPath, 'utf8') : null, error: null };
    try {
      entry.json = JSON.parse(readFileSync(join(dir, f), 'utf8'));
    } catch (err) {
      entry.error = `unreadable ${f}: ${err instanceof Error ? err.message : err}`;
    }
    out.set(results, entry);
  }
  return out;
}

/** The tables of a markdown file, each with the `##` heading above it (null under the title). */
export function markdownTables(md) {
  const tables = [];
  let heading = null;
  let current = null;
  for (const line of (md ?? '').split('\n')) {
    if (line.startsWith('|')) {
      if (!current) tables.push((current = { heading, lines: [] }));
      current.lines.push(line);
      continue;
    }
    current = null;
    if (/^##\s/.test(line)) heading = line.replace(/^##\s+/, '').trim();
    else if (/^#\s/.test(line)) heading = null;
  }
  return tables;
}

const titleOf = (md) => /^#\s+(.+)$/m.exec(md ?? '')?.[1]?.trim() ?? null;
const measuredAt = (json) => json?.environment?.date ?? null;
const day = (iso) => (iso ? iso.slice(0, 10) : 'n/a');
const commitOf = (json) => {
  const env = json?.environment;
  return env?.git_commit ? `${env.git_commit.slice(0, 10)}${env.git_dirty ? ' (dirty)' : ''}` : 'n/a';
};

/** What became of a results file: from the all-run's record when there is one, else from the file alone. */
function statusOf(entry, run) {
  const ran = run?.runs?.find((r) => r.results === entry.results);
  const at = measuredAt(entry.json);
  if (entry.error) return { code: 'unreadable', text: entry.error };
  if (ran && ran.status !== 'ok') {
    const why = ran.status === 'failed' ? `failed (exit ${ran.exit_code ?? ran.signal})` : ran.status;
    return { code: ran.status, text: entry.json ? `${why}; figures below from ${day(at)}` : why };
  }
  if (!entry.json && ran) return { code: 'no results', text: 'ran, but wrote no results file' };
  if (!entry.json) return { code: 'not run', text: 'not run' };
  if (ran && at && at < run.started_at) {
    return { code: 'stale', text: `ran, wrote no new results (file from ${day(at)})` };
  }
  if (ran && at && run.finished_at && at > run.finished_at) {
    return { code: 'later', text: `measured again after this run (${day(at)})` };
  }
  if (ran) return { code: 'ok', text: 'ran in this run' };
  return run ? { code: 'earlier', text: `not in this run (from ${day(at)})` } : { code: 'on file', text: 'on file' };
}

function section(entry, status, charts) {
  const how = entry.planned
    ? `\`npm run bench -- ${entry.command}\``
    : `not part of the all-run (see bench/lib/report-plan.mjs)`;
  const lines = [`## ${entry.label}`, ''];
  if (!entry.json) {
    lines.push(`**${status.text}.** Run it with ${how}.`, '');
    return lines.join('\n');
  }
  const title = titleOf(entry.md);
  const when = measuredAt(entry.json);
  const runNote = status.code === 'on file' ? '' : ` ${status.text[0].toUpperCase()}${status.text.slice(1)}.`;
  lines.push(
    `${title ? `${title}. ` : ''}Measured ${when ? `${when.slice(0, 16).replace('T', ' ')} UTC` : 'at an unknown date'}, ` +
      `commit ${commitOf(entry.json)}.${runNote} Run: ${how}.`,
    '',
  );
  const headline = headlineOf(entry);
  if (headline) lines.push(`**${headline}**`, '');
  for (const c of charts)
    lines.push(c.error ? `(chart ${c.file} failed: ${c.error})` : `![${c.title}](charts/${c.file})`, '');
  const tables = markdownTables(entry.md);
  for (const i of entry.view.tables) {
    const t = tables[i];
    if (!t) continue;
    if (t.heading) lines.push(`*${t.heading}*`, '');
    lines.push(...t.lines, '');
  }
  lines.push(
    entry.md
      ? `Full results: [${entry.results}.md](${entry.results}.md), raw: [${entry.results}.json](${entry.results}.json).`
      : `Raw: [${entry.results}.json](${entry.results}.json) (no .md beside it).`,
    '',
  );
  return lines.join('\n');
}

/** A result's headline figures; '' when it has none (or its key figure is missing). */
function headlineOf(entry) {
  return entry.json ? safe(() => entry.view.headline(entry.json), '') : '';
}

function safe(fn, fallback) {
  try {
    return fn();
  } catch {
    return fallback;
  }
}

function runSummary(run, entries) {
  if (!run) return 'Rebuilt from the result files already there; no benchmark was run for it.';
  const n = (code) => run.runs.filter((r) => r.status === code).length;
  const failed = run.runs
    .filter((r) => r.status !== 'ok')
    .map((r) => `${r.results} (${r.status}${r.exit_code != null ? `, exit ${r.exit_code}` : ''})`);
  const minutes = run.finished_at
    ? Math.round((Date.parse(run.finished_at) - Date.parse(run.started_at)) / 60000)
    : null;
  return (
    `All-run (\`npm run bench\`) started ${run.started_at}${minutes != null ? `, ${minutes} min` : ''}: ` +
    `${n('ok')} of ${run.runs.length} benchmark runs succeeded` +
    (failed.length ? `; not: ${failed.join(', ')}` : '') +
    (entries.some((e) => !e.planned) ? '. Result files outside the all-run are shown too.' : '.')
  );
}

/**
 * Builds the report in `resultsDir` (charts in its charts/ folder). `run`: the all-run's record ({ started_at,
 * finished_at, runs: [{ name, args, results, status: ok|failed|interrupted|skipped, exit_code, signal, seconds }] }),
 * or null: then the record of today's all-run is reused when `<today>.json` has one. Returns the paths written.
 */
export async function buildReport({
  resultsDir = RESULTS_DIR,
  run = null,
  plan = allRunPlan(),
  now = new Date(),
} = {}) {
  const date = (run?.started_at ?? now.toISOString()).slice(0, 10);
  const datedPath = join(resultsDir, `${date}.json`);
  if (!run && existsSync(datedPath)) run = safe(() => JSON.parse(readFileSync(datedPath, 'utf8')).run ?? null, null);
  const found = readResults(resultsDir);
  const names = availableBenchmarks();
  const planned = new Map(plan.map((p) => [p.results, p]));
  const entries = [...new Set([...planned.keys(), ...found.keys()])].map((results) => {
    const p = planned.get(results);
    const f = found.get(results) ?? { results, json: null, md: null, error: null };
    const { name, view } = benchmarkOf(results, names);
    const variant = results === name ? '' : results.slice(name.length + 1);
    const command = p ? [p.name, ...p.args].join(' ') : name;
    return { ...f, name, view, planned: Boolean(p), command, label: variant ? `${name}: ${variant}` : name };
  });
  const rank = (e) => (ORDER.includes(e.name) ? ORDER.indexOf(e.name) : ORDER.length);
  entries.sort(
    (a, b) =>
      rank(a) - rank(b) ||
      a.name.localeCompare(b.name) ||
      Number(b.planned) - Number(a.planned) ||
      a.results.localeCompare(b.results),
  );

  const chartsDir = join(resultsDir, 'charts');
  mkdirSync(chartsDir, { recursive: true });
  for (const f of readdirSync(chartsDir)) if (f.endsWith('.png')) rmSync(join(chartsDir, f));
  const written = [];
  const chartsOf = new Map();
  const memory = [];
  const sections = [];
  const rows = [];
  for (const e of entries) {
    const status = statusOf(e, run);
    const charts = [];
    if (e.json) {
      let specs = [];
      try {
        specs = e.view.charts(e.json, e.results);
        const mem = memoryChart(e.json, e.results);
        if (mem) {
          specs.push(mem);
          memory.push({ entry: e, chart: mem });
        }
      } catch (err) {
        charts.push({ file: `${e.results}-*.png`, error: err instanceof Error ? err.message : String(err) });
      }
      for (const c of specs) {
        if (!c.spec.data?.values?.length) continue;
        try {
          const path = join(chartsDir, c.file);
          writeFileSync(path, await renderPng(c.spec));
          written.push(path);
          charts.push(c);
        } catch (err) {
          charts.push({ ...c, error: err instanceof Error ? err.message : String(err) });
        }
      }
    }
    chartsOf.set(
      e.results,
      charts.filter((c) => !c.error).map((c) => `charts/${c.file}`),
    );
    sections.push(section(e, status, charts));
    rows.push([
      `[${e.label}](#${anchor(e.label)})`,
      e.json ? day(measuredAt(e.json)) : '-',
      e.json ? commitOf(e.json) : '-',
      status.text,
      headlineOf(e) || '-',
    ]);
  }

  const env = environment();
  const memoryText = memory.length
    ? memory
        .map(
          ({ entry, chart }) =>
            `![${chart.title}](charts/${chart.file})\n\nFrom [${entry.results}.json](${entry.results}.json).`,
        )
        .join('\n\n')
    : 'No result has a memory series yet (samples of RSS or heap over time); none of the results files above records ' +
      'one, so there is no chart. A benchmark that writes one (e.g. `[{ "t_s": 0, "rss_mib": 182.4, "process": ' +
      '"gateway" }, ...]`, see `bench/lib/report-memory.mjs`) gets its chart here.';
  const md = [
    '# Benchmark report',
    '',
    `Built ${now.toISOString().slice(0, 16).replace('T', ' ')} UTC on ${env.cpu_count} × ${env.cpu_model}, ` +
      `${env.memory_gib} GiB, Node ${env.node}, commit ${env.git_commit?.slice(0, 10) ?? 'n/a'}. ${runSummary(run, entries)} ` +
      `Each benchmark's figures come from its own latest run (date and commit below); each chart is drawn from one ` +
      `results file, so its targets and their baseline were measured in the same run. Everything combined: ` +
      `[${date}.json](${date}.json). Rebuild with \`npm run bench -- report\`.`,
    '',
    markdownTable(['benchmark', 'measured', 'commit', 'status', 'headline'], rows),
    '',
    ...sections,
    '## Memory over a soak',
    '',
    memoryText,
    '',
  ].join('\n');
  const reportPath = join(resultsDir, 'REPORT.md');
  writeFileSync(reportPath, await prettierFormat(reportPath, md));
  written.push(reportPath);

  const combined = {
    date,
    generated_at: now.toISOString(),
    mode: run ? 'all-run' : 'report',
    environment: env,
    run: run ?? null,
    benchmarks: Object.fromEntries(
      entries.map((e) => [
        e.results,
        {
          benchmark: e.name,
          command: `npm run bench -- ${e.command}`,
          in_all_run: e.planned,
          status: statusOf(e, run).code,
          measured_at: measuredAt(e.json),
          charts: chartsOf.get(e.results) ?? [],
          result: e.json,
        },
      ]),
    ),
  };
  writeFileSync(datedPath, await prettierFormat(datedPath, `${JSON.stringify(combined, null, 2)}\n`));
  written.push(datedPath);
  return written;
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
function anchor(text) {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}
