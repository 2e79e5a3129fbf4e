// The synthetic 125M q8_0 GGUF (random weights, realistic size) from ../shared/tools, generated once into the OS
// temp folder and reused by every benchmark that needs a model heavier than stories260K.
import { execFileSync } from 'node:child_process';
import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { REPO_ROOT } from './common.mjs';

const SHARED = resolve(REPO_ROOT, '..', 'shared');

export async function syntheticModel() {
  const out = join(tmpdir(), 'synthetic-125m-q8_0.gguf');
  if (existsSync(out) && statSync(out).size > 0) return out;
  console.log(`Generating the synthetic 125m model into ${out} (once; cached in the OS temp folder) ...`);
  const partial = `${out}.${process.pid}.partial`;
  try {
    execFileSync(
      process.execPath,
      [join(SHARED, 'tools', 'make-synthetic-gguf.mjs'), '--size', '125m', '--out', partial],
      { stdio: 'inherit' },
    );
    renameSync(partial, out);
  } finally {
    rmSync(partial, { force: true });
  }
  return out;
}
