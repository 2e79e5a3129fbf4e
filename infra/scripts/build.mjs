// Compiles every app and lib with SWC (decorator metadata on, path aliases rewritten) into dist/.
// Type checking is separate (`npm run typecheck`) so a build takes seconds.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const swc = require.resolve('@swc/cli/bin/swc.js');
rmSync('dist', { recursive: true, force: true });
execFileSync(
  process.execPath,
  [
    swc,
    'apps',
    'libs',
    '-d',
    'dist',
    '--config-file',
    '.swcrc',
    '--ignore',
    '**/*.spec.ts,**/*.int-spec.ts,**/*.e2e-spec.ts',
    '--quiet',
  ],
  { stdio: 'inherit' },
);
