import fastifyStatic from '@fastify/static';
import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * The console's pages may load only what the gateway itself serves (no CDN, no inline script) and talk only to
 * this origin; no other site may frame them.
 */
export const WEB_CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Where the build puts the console: `dist/web-console`, beside `dist/apps` (this file is dist/apps/api-gateway/src/http). */
export function defaultWebConsoleDir(): string {
  return resolve(__dirname, '../../../../web-console');
}

/**
 * Serves the built web console at `/` (its index and hashed `assets/`). Plain Fastify routes outside Nest: no
 * credential is needed for the static files, and the API under `/v1` keeps its own guard. Only files present at
 * start are routed (`wildcard: false`), so an unknown path is the API's ordinary 404.
 */
export async function registerWebConsole(app: NestFastifyApplication, configured: string | null): Promise<void> {
  const logger = new Logger('WebConsole');
  if (configured === '') return;
  const root = configured ? resolve(configured) : defaultWebConsoleDir();
  if (!existsSync(join(root, 'index.html'))) {
    logger.warn(`No web console at ${root} (run \`npm run build\`): serving the API only`);
    return;
  }
  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    wildcard: false,
    index: ['index.html'],
    // Swagger UI registers @fastify/static too; only one may decorate the reply.
    decorateReply: false,
    setHeaders: (res, path) => {
      res.header('content-security-policy', WEB_CONSOLE_CSP);
      res.header('x-content-type-options', 'nosniff');
      res.header('referrer-policy', 'no-referrer');
      // Hashed assets never change under one name; the index is revalidated so a deploy shows at once.
      res.header('cache-control', path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  logger.log(`Web console at / (from ${root})`);
}
