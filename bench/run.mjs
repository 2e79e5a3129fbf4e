// Benchmark dispatcher: `npm run bench -- <name> [args]` runs bench/<name>.mjs with the remaining arguments.
// Benchmarks print figures and write results under bench/results/; they never fail on timing.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
// open-responses.mjs is a compliance check (needs the suite's checkout), not a benchmark.
const NOT_BENCHMARKS = new Set(['run.mjs', 'open-responses.mjs']);

function available() {
  return readdirSync(here)
    .filter((f) => f.endsWith('.mjs') && !NOT_BENCHMARKS.has(f) && !f.startsWith('_'))
    .map((f) => f.slice(0, -'.mjs'.length))
    .sort();
}

const [name, ...rest] = process.argv.slice(2);
const names = available();
if (!name || !names.includes(name)) {
  if (name) console.error(`Unknown benchmark '${name}'.`);
  console.error('Usage: npm run bench -- <name> [options]   (or: node bench/run.mjs <name> [options])');
  console.error(`Available benchmarks: ${names.join(', ') || '(none)'}`);
  process.exit(1);
}

// The benchmark reads its own options from process.argv.slice(2), as if it had been run directly.
process.argv = [process.argv[0], join(here, `${name}.mjs`), ...rest];
await import(pathToFileURL(join(here, `${name}.mjs`)).href);
