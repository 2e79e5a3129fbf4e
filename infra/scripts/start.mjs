// Runs the whole platform on one machine: every app as its own process (as in production), restarted with
// back-off if it dies, stopped together on Ctrl-C / SIGTERM. Each service runs its own migrations at start.
// The gateway listens on PORT (default 8000); the others on their *_PORT variables.
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';

const apps = [
  { name: 'auth', portVar: 'AUTH_PORT', port: 8001 },
  { name: 'chat-history', portVar: 'CHAT_HISTORY_PORT', port: 8002 },
  { name: 'rag', portVar: 'RAG_PORT', port: 8003 },
  { name: 'embedding-worker', portVar: 'EMBEDDING_WORKER_PORT', port: 8011 },
  { name: 'inference-worker', portVar: 'INFERENCE_WORKER_PORT', port: 8010 },
  { name: 'api-gateway', portVar: 'PORT', port: 8000 },
];

const children = new Map();
let stopping = false;

function start(app, attempt = 0) {
  const entry = `dist/apps/${app.name}/src/main.js`;
  if (!existsSync(entry)) {
    console.error(`[start] ${entry} is missing: run npm run build`);
    process.exit(1);
  }
  const port = process.env[app.portVar] ?? String(app.port);
  const child = spawn(process.execPath, [entry], { env: { ...process.env, PORT: port }, stdio: 'inherit' });
  const startedAt = Date.now();
  children.set(app.name, child);
  child.on('exit', (code, signal) => {
    children.delete(app.name);
    if (stopping) return;
    // A process that ran for a while restarts at once; one that keeps failing at start backs off up to 30 s.
    const next = Date.now() - startedAt > 60_000 ? 0 : attempt + 1;
    const delay = Math.min(30_000, 500 * 2 ** Math.min(next, 6));
    console.error(`[start] ${app.name} exited (${signal ?? code}); restarting in ${delay} ms`);
    setTimeout(() => start(app, next), delay);
  });
}

function stop(signal) {
  if (stopping) return;
  stopping = true;
  console.error(`[start] ${signal}: stopping ${children.size} processes`);
  for (const child of children.values()) child.kill('SIGTERM');
  const force = setTimeout(() => {
    for (const child of children.values()) child.kill('SIGKILL');
    process.exit(1);
  }, 15_000);
  const poll = setInterval(() => {
    if (children.size === 0) {
      clearInterval(poll);
      clearTimeout(force);
      process.exit(0);
    }
  }, 100);
}

// Outside production the auth app keeps a ready API key of the local admin in AUTH_DEV_API_KEY_FILE (default
// data/dev-api-key; empty: none). Wait until this run has written or confirmed it (it touches a key it keeps), then
// say where it is; the key itself is never printed.
function announceDevApiKey(startedAt) {
  const nodeEnv = process.env.NODE_ENV ?? 'development';
  const file = process.env.AUTH_DEV_API_KEY_FILE ?? (nodeEnv === 'development' ? 'data/dev-api-key' : '');
  if (nodeEnv === 'production' || file.trim() === '') return;
  const deadline = Date.now() + 120_000;
  const poll = setInterval(() => {
    let fresh = false;
    try {
      fresh = statSync(file).mtimeMs >= startedAt - 1000;
    } catch {
      // not written yet
    }
    if (fresh) {
      clearInterval(poll);
      console.error(`[start] dev API key for admin in ${file} (export OPENAI_API_KEY=$(cat ${file}))`);
    } else if (stopping || Date.now() > deadline) {
      clearInterval(poll);
      if (!stopping) console.error(`[start] the auth app has not written ${file} yet: see its log`);
    }
  }, 200);
}

process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
const startedAt = Date.now();
for (const app of apps) start(app);
console.error(`[start] gateway on http://localhost:${process.env.PORT ?? 8000} (OpenAPI at /docs)`);
announceDevApiKey(startedAt);
