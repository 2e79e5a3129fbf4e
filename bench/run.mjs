// Benchmark dispatcher.
//   npm run bench                      every benchmark of the all-run (bench/lib/report-plan.mjs), one after the
//                                      other, each as its own child process with its default options; a failure is
//                                      recorded with its exit code and the run goes on; then the report
//   npm run bench -- report [--results DIR]   the report alone, from the result files already there
//   npm run bench -- <name> [args]     bench/<name>.mjs with the remaining arguments, as before
// (`npm run bench` builds the apps first; `node bench/run.mjs ...` runs against the current build.)
// Benchmarks print figures and write results under bench/results/; they never fail on timing.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { RESULTS_DIR, parseArgs } from './lib/common.mjs';
import { BENCH_DIR, allRunPlan, availableBenchmarks } from './lib/report-plan.mjs';

function usage(names) {
  console.error('Usage: npm run bench                       every benchmark, then the report');
  console.error('       npm run bench -- report [--results DIR]   the report alone, from the results already there');
  console.error('       npm run bench -- <name> [options]     one benchmark (or: node bench/run.mjs <name> [options])');
  console.error(`Available benchmarks: ${names.join(', ') || '(none)'}`);
}

async function report(args) {
  const opts = parseArgs(args, { results: RESULTS_DIR });
  const { buildReport } = await import('./lib/report.mjs');
  const written = await buildReport({ resultsDir: opts.results });
  console.log(`wrote ${written.length} files: ${written.filter((p) => !p.endsWith('.png')).join(', ')} and charts`);
}

let current = null; // the running benchmark's child process, for SIGTERM

/** One benchmark as a child process; resolves with how it ended. */
function runChild(entry) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [join(BENCH_DIR, `${entry.name}.mjs`), ...entry.args], { stdio: 'inherit' });
    current = child;
    const done = (exitCode, signal, error) =>
      resolve({
        exit_code: exitCode,
        signal: signal ?? null,
        seconds: Math.round((Date.now() - t0) / 100) / 10,
        ...(error ? { error } : {}),
      });
    child.on('error', (err) => done(null, null, err.message));
    child.on('exit', (code, signal) => done(code, signal));
  });
}

async function allRun() {
  const plan = allRunPlan();
  const run = { started_at: new Date().toISOString(), finished_at: null, runs: [] };
  // Ctrl-C reaches the running benchmark too (same process group), which stops what it started; the all-run
  // waits for it, skips the rest and still writes the report. SIGTERM is passed on to the running benchmark.
  let interrupted = false;
  process.on('SIGINT', () => {
    interrupted = true;
  });
  process.on('SIGTERM', () => {
    interrupted = true;
    current?.kill('SIGTERM');
  });
  for (const [i, entry] of plan.entries()) {
    const command = [entry.name, ...entry.args].join(' ');
    const record = { name: entry.name, args: entry.args, results: entry.results, started_at: new Date().toISOString() };
    if (interrupted) {
      run.runs.push({ ...record, status: 'skipped', exit_code: null, signal: null, seconds: 0 });
      continue;
    }
    console.log(`\n=== [${i + 1}/${plan.length}] ${command}`);
    const end = await runChild(entry);
    const status = end.exit_code === 0 ? 'ok' : interrupted ? 'interrupted' : 'failed';
    run.runs.push({ ...record, status, ...end });
    console.log(
      `=== ${command}: ${status}${status === 'ok' ? '' : ` (exit ${end.exit_code ?? end.signal})`}, ${end.seconds} s`,
    );
  }
  run.finished_at = new Date().toISOString();
  const { buildReport } = await import('./lib/report.mjs');
  const written = await buildReport({ run, plan });
  const failed = run.runs.filter((r) => r.status !== 'ok');
  console.log(
    `\n${run.runs.length - failed.length} of ${run.runs.length} benchmark runs succeeded` +
      (failed.length ? `; not: ${failed.map((r) => `${[r.name, ...r.args].join(' ')} (${r.status})`).join(', ')}` : ''),
  );
  console.log(`wrote ${written.filter((p) => !p.endsWith('.png')).join(', ')} and charts`);
  if (failed.length) process.exitCode = 1;
}

const [name, ...rest] = process.argv.slice(2);
const names = availableBenchmarks();
if (name === undefined) {
  await allRun();
} else if (name === 'report') {
  await report(rest);
} else if (!names.includes(name)) {
  if (!['help', '--help', '-h'].includes(name)) console.error(`Unknown benchmark '${name}'.`);
  usage(names);
  process.exit(1);
} else {
  // The benchmark reads its own options from process.argv.slice(2), as if it had been run directly.
  process.argv = [process.argv[0], join(BENCH_DIR, `${name}.mjs`), ...rest];
  await import(pathToFileURL(join(BENCH_DIR, `${name}.mjs`)).href);
}
