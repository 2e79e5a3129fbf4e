// What `npm run bench` (no benchmark name) runs, in order, and what the report expects to find: one entry per
// results file. Each entry runs `node bench/<name>.mjs ...args` as a child process with the benchmark's defaults.
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = dirname(dirname(fileURLToPath(import.meta.url)));

// bench/*.mjs files that are not benchmarks: the dispatcher itself, and the Open Responses compliance check (needs
// the suite's checkout, measures nothing). Files starting with `_` are scratch scripts and are skipped too.
const NOT_BENCHMARKS = new Set(['run.mjs', 'open-responses.mjs']);

/** The benchmarks in bench/ (file names without `.mjs`), sorted. */
export function availableBenchmarks(dir = BENCH_DIR) {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.mjs') && !NOT_BENCHMARKS.has(f) && !f.startsWith('_'))
    .map((f) => f.slice(0, -'.mjs'.length))
    .sort();
}

// The all-run: every variant that has a results file in bench/results/ today. `results` is the file it writes
// (bench/results/<results>.json and .md). Variants come from each benchmark's own options:
//   inference   --model stories260k | synthetic-125m   -> inference-<model>
//   embeddings  --workload sentences | passages        -> embeddings-<workload>
//   soak        (none) | --worker-heap-mib 128           -> soak, soak-heap128
// Not here: rag-ann-50k (rag with VECTOR_STORE_ANN_MIN_ROWS=50000 in the environment, its rag.json renamed by hand;
// rag.mjs has no option for it, so the all-run cannot write it; the report still shows the file while it exists).
// A benchmark added to bench/ later and not named here runs once with its defaults (results = its name).
export const ALL_RUN = [
  { name: 'inference', args: ['--model', 'stories260k'], results: 'inference-stories260k' },
  { name: 'inference', args: ['--model', 'synthetic-125m'], results: 'inference-synthetic-125m' },
  { name: 'embeddings', args: ['--workload', 'sentences'], results: 'embeddings-sentences' },
  { name: 'embeddings', args: ['--workload', 'passages'], results: 'embeddings-passages' },
  { name: 'auth', args: [], results: 'auth' },
  { name: 'history', args: [], results: 'history' },
  { name: 'cache', args: [], results: 'cache' },
  { name: 'overload', args: [], results: 'overload' },
  { name: 'proxy', args: [], results: 'proxy' },
  { name: 'rag', args: [], results: 'rag' },
  { name: 'tools', args: [], results: 'tools' },
  { name: 'transport', args: [], results: 'transport' },
  { name: 'scale', args: [], results: 'scale' },
  { name: 'soak', args: [], results: 'soak' },
  { name: 'soak', args: ['--worker-heap-mib', '128'], results: 'soak-heap128' },
];

/** The all-run's entries for the benchmarks that exist: ALL_RUN, then any benchmark it does not name. */
export function allRunPlan(available = availableBenchmarks()) {
  const named = new Set(ALL_RUN.map((e) => e.name));
  return [
    ...ALL_RUN.filter((e) => available.includes(e.name)),
    ...available.filter((n) => !named.has(n)).map((name) => ({ name, args: [], results: name })),
  ];
}
