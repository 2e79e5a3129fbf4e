import { resolve } from 'node:path';
import { defineConfig } from 'vite';

/**
 * The web console: Preact, bundled by Vite into `dist/web-console` (built by infra/scripts/build.mjs), served by
 * the gateway at `/`. Relative asset URLs, so it works behind any path prefix; everything is bundled (no CDN).
 */
export default defineConfig({
  root: import.meta.dirname,
  base: './',
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: process.env.WEB_CONSOLE_OUT_DIR ?? resolve(import.meta.dirname, '../../dist/web-console'),
    emptyOutDir: true,
    assetsInlineLimit: 0,
    sourcemap: true,
    target: 'es2022',
  },
  logLevel: 'warn',
});
