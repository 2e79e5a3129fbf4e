// Helpers shared by the benchmarks: statistics, environment description, result files.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_ROOT = resolve(BENCH_DIR, '..');
export const RESULTS_DIR = join(BENCH_DIR, 'results');

/** Percentile with linear interpolation between closest ranks (numpy's default); NaN for no samples. */
export function percentile(values, p) {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
}

export const median = (values) => percentile(values, 50);
export const mean = (values) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : NaN);

/** Count, mean, percentiles (`p50`, ...; `p99_9` for 99.9) and max of a sample, rounded for JSON. */
export function stat(values, percentiles = [50, 90, 99]) {
  const out = { n: values.length, mean: round(mean(values)) };
  for (const p of percentiles) out[`p${String(p).replace('.', '_')}`] = round(percentile(values, p));
  out.max = round(values.reduce((a, b) => Math.max(a, b), -Infinity));
  return out;
}

/** Rounds for JSON output: keeps 3 significant decimals on small numbers, 1 on large ones. */
export function round(x, digits = 3) {
  if (typeof x !== 'number' || !Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export function fmt(x, digits = 1) {
  if (typeof x !== 'number' || !Number.isFinite(x)) return 'n/a';
  return x.toFixed(digits);
}

export function parseArgs(argv, defaults) {
  const out = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`Unexpected argument '${a}'`);
    const [key, inline] = a.slice(2).split('=', 2);
    const name = key.replace(/-([a-z0-9])/g, (_, c) => c.toUpperCase());
    if (!(name in defaults)) throw new Error(`Unknown option --${key}`);
    if (typeof defaults[name] === 'boolean') {
      out[name] = inline === undefined ? true : inline !== 'false';
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new Error(`Option --${key} needs a value`);
    out[name] = typeof defaults[name] === 'number' ? Number(value) : value;
    if (typeof defaults[name] === 'number' && !Number.isFinite(out[name])) {
      throw new Error(`Option --${key} needs a number`);
    }
  }
  return out;
}

function git(args) {
  try {
    return execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

function packageVersion(name) {
  try {
    return JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
}

/** What the figures were measured on: they mean little without it on a shared 2-core machine. */
export function environment() {
  const cpu = cpus();
  return {
    date: new Date().toISOString(),
    git_commit: git(['rev-parse', 'HEAD']),
    git_dirty: (git(['status', '--porcelain']) ?? '').length > 0,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpu_model: cpu[0]?.model ?? 'unknown',
    cpu_count: cpu.length,
    memory_gib: round(totalmem() / 2 ** 30, 1),
    load_average_at_start: loadavg().map((x) => round(x, 2)),
    packages: {
      'node-llama-cpp': packageVersion('node-llama-cpp'),
      bullmq: packageVersion('bullmq'),
      ioredis: packageVersion('ioredis'),
      fastify: packageVersion('fastify'),
    },
  };
}

export function markdownTable(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/**
 * Writes bench/results/<base>.json and .md, formatted the way the repository's Prettier would (when Prettier is
 * installed), so `npm run format` leaves them alone; returns their paths relative to the repository root.
 */
export async function writeResults(base, json, markdown) {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const files = [
    [join(RESULTS_DIR, `${base}.json`), `${JSON.stringify(json, null, 2)}\n`],
    [join(RESULTS_DIR, `${base}.md`), markdown.endsWith('\n') ? markdown : `${markdown}\n`],
  ];
  for (const [path, text] of files) writeFileSync(path, await prettierFormat(path, relativePaths(text)));
  return files.map(([p]) => p.slice(REPO_ROOT.length + 1));
}

/** Results name files relative to the repository (`../shared/models/…`), never by this machine's absolute path. */
export function relativePaths(text) {
  return text
    .split(`${REPO_ROOT}/`)
    .join('')
    .split(`${dirname(REPO_ROOT)}/`)
    .join('../');
}

/** `text` formatted as the repository's prettier config wants a file at `path` (as is when prettier fails). */
export async function prettierFormat(path, text) {
  try {
    const prettier = await import('prettier');
    const options = (await prettier.resolveConfig(path)) ?? {};
    return await prettier.format(text, { ...options, filepath: path });
  } catch {
    return text;
  }
}

// CPU accounting from /proc (Linux): where the cores went during a phase. Elsewhere the counters are absent.
let clockTicks;
function ticksPerSecond() {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** CPU time (user + system, ms) of a process, or of one of its threads; null where /proc cannot tell. */
export function procCpuMs(pid, tid) {
  try {
    const text = readFileSync(tid ? `/proc/${pid}/task/${tid}/stat` : `/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond();
  } catch {
    return null;
  }
}

/** Busy CPU time of the whole machine (ms, all cores), from /proc/stat; null elsewhere. */
export function machineBusyMs() {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = cpu;
    return ((user + nice + system + irq + softirq + (steal ?? 0)) * 1000) / ticksPerSecond();
  } catch {
    return null;
  }
}

/** A probe of named cumulative CPU counters (ms); `cpuDelta` turns two readings into cores used over `wallMs`. */
export function cpuDelta(before, after, wallMs) {
  const out = {};
  for (const k of Object.keys(after)) {
    if (before[k] == null || after[k] == null) continue;
    out[k] = round((after[k] - before[k]) / wallMs, 2);
  }
  return out;
}

/**
 * Adds 'other processes' to the cores of `cpuDelta`: what the machine used beyond the processes measured. Keys for
 * which `isPart` is true are a part of another (a process's main thread) and are not counted twice.
 */
export function withOthers(cores, isPart = () => false) {
  if (cores.machine == null) return cores;
  const known = Object.entries(cores)
    .filter(([k]) => k !== 'machine' && !isPart(k))
    .reduce((a, [, v]) => a + v, 0);
  return { ...cores, 'other processes': round(cores.machine - known, 2) };
}

/** Runs a benchmark's `main`: a failure is printed, with its stack, and sets a failing exit code. */
export async function runMain(main) {
  await main().catch((err) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exitCode = 1;
  });
}
