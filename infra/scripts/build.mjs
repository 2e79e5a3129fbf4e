// Compiles every app and lib with SWC (decorator metadata on, path aliases rewritten) into dist/, and bundles the
// web console (apps/web-console, Preact) with Vite into dist/web-console.
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
      '**/*.spec.ts,**/*.int-spec.ts,**/*.e2e-spec.ts,**/test/**,apps/web-console/**',
      '--quiet',
    ],
    { stdio: 'inherit' },
  );
  const { build } = await import('vite');
  process.env.WEB_CONSOLE_OUT_DIR = `${process.cwd()}/${next}/web-console`;
  await build({ configFile: 'apps/web-console/vite.config.mts' });
  rmSync('dist', { recursive: true, force: true });
  renameSync(next, 'dist');
} finally {
  rmSync(next, { recursive: true, force: true });
}
