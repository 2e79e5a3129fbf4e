// Compiles every app and lib with SWC (decorator metadata on, path aliases rewritten) into dist/.
// Type checking is separate (`npm run typecheck`) so a build takes seconds. The output is built beside dist/ and
// swapped in at the end, so processes started from dist/ meanwhile never see a half-written tree.
import { execFileSync } from 'node:child_process';
import { renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const swc = require.resolve('@swc/cli/bin/swc.js');
const next = `dist.next-${process.pid}`;
try {
  execFileSync(
    process.execPath,
    [
      swc,
      'apps',
      'libs',
      '-d',
      next,
      '--config-file',
      '.swcrc',
      '--ignore',
      '**/*.spec.ts,**/*.int-spec.ts,**/*.e2e-spec.ts,**/test/**',
      '--quiet',
    ],
    { stdio: 'inherit' },
  );
  rmSync('dist', { recursive: true, force: true });
  renameSync(next, 'dist');
} finally {
  rmSync(next, { recursive: true, force: true });
}
