import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

export const REPO_ROOT = resolve(__dirname, '../../..');

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => res(port));
    });
  });
}

const MAX_LOG_BYTES = 64 * 1024 * 1024;

export interface RunningApp {
  name: string;
  port: number;
  url: string;
  proc: ChildProcess;
  /** The last 20,000 characters of stdout and stderr (for failure messages). */
  output: () => string;
  /** Everything the process wrote to stdout and stderr since it started (up to 64 MiB), in arrival order. */
  log: () => string;
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
}

/**
 * Starts a built app (`dist/apps/<name>/src/main.js`, from `npm run build`) as a real process and waits until its
 * `/health` answers. The app's output is kept: its tail for failure messages, all of it for tests that read the log.
 */
export async function startApp(
  name: string,
  env: Record<string, string>,
  opts: { port?: number; readyPath?: string; timeoutMs?: number } = {},
): Promise<RunningApp> {
  const port = opts.port ?? (await freePort());
  const entry = resolve(REPO_ROOT, 'dist/apps', name, 'src/main.js');
  const proc = spawn(process.execPath, [entry], {
    cwd: REPO_ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const chunks: Buffer[] = [];
  let logBytes = 0;
  const capture = (d: Buffer) => {
    out = (out + d.toString()).slice(-20000);
    if (logBytes + d.length <= MAX_LOG_BYTES) {
      chunks.push(d);
      logBytes += d.length;
    }
  };
  proc.stdout?.on('data', capture);
  proc.stderr?.on('data', capture);
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<number | null>((res) => proc.once('exit', (code) => res(code)));
  const app: RunningApp = {
    name,
    port,
    url,
    proc,
    output: () => out,
    log: () => Buffer.concat(chunks).toString(),
    stop: async (signal = 'SIGTERM') => {
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
      proc.kill(signal);
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
  try {
    await waitForHttp(`${url}${opts.readyPath ?? '/health'}`, opts.timeoutMs ?? 30000, () => {
      if (proc.exitCode !== null) throw new Error(`${name} exited with ${proc.exitCode}:\n${out}`);
    });
  } catch (err) {
    await app.stop('SIGKILL');
    throw new Error(`${(err as Error).message}\n--- ${name} output ---\n${out.slice(-4000)}`);
  }
  return app;
}

export async function waitForHttp(url: string, timeoutMs: number, check?: () => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  while (Date.now() < deadline) {
    check?.();
    try {
      const res = await fetch(url);
      if (res.ok) return;
      lastErr = new Error(`${url} answered ${res.status}`);
    } catch (err) {
      lastErr = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Timed out waiting for ${url}: ${(lastErr as Error)?.message}`);
}

/** Runs a process to completion and returns its exit code and output (for start-up failure tests). */
export async function runToExit(
  entry: string,
  env: Record<string, string>,
  timeoutMs = 30000,
): Promise<{ code: number | null; output: string }> {
  const proc = spawn(process.execPath, [resolve(REPO_ROOT, entry)], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((res) => proc.once('exit', (c) => res(c)));
  clearTimeout(timer);
  return { code, output: out };
}
