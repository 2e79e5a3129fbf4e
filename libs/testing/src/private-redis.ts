import { ChildProcess, spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort } from './process-harness';
import { TEST_REDIS_URL } from './test-env';

export interface PrivateRedis {
  url: string;
  /** False when `redis-server` is not installed and the shared Redis stands in (stop and start do nothing then). */
  isPrivate: boolean;
  /** Stops the server (SIGTERM by default; SIGKILL for a crash). Nothing is kept: it runs without persistence. */
  stop: (signal?: NodeJS.Signals) => Promise<void>;
  /** Starts it again, empty, on the same port, and waits until it answers PING. */
  start: () => Promise<void>;
  /** Whether the server process is running. */
  running: () => boolean;
}

/**
 * A Redis server of one test file's own. The Redis transport of @nestjs/microservices is pub/sub on channels named
 * by the pattern, and pub/sub ignores database numbers and key prefixes: on the shared Redis, a service started by
 * another test run at the same moment would answer our requests. A private server rules that out, and can be
 * stopped and started again on the same port (outage tests). Falls back to the shared Redis when `redis-server` is
 * not installed.
 */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let proc: ChildProcess | null = null;

  const spawnServer = async (): Promise<ChildProcess> => {
    const child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    await new Promise<void>((res, rej) => {
      child.once('spawn', () => res());
      child.once('error', rej);
    });
    return child;
  };
  const running = () => proc !== null && proc.exitCode === null && proc.signalCode === null;
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (!proc || !running()) return;
    const child = proc;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    await exited;
  };
  const start = async () => {
    if (running()) return;
    proc = await spawnServer();
    await waitForPing(url, 10_000);
  };

  try {
    proc = await spawnServer();
  } catch {
    const noop = async () => undefined;
    return { url: TEST_REDIS_URL, isPrivate: false, stop: noop, start: noop, running: () => true };
  }
  await waitForPing(url, 10_000);
  return { url, isPrivate: true, stop, start, running };
}

async function waitForPing(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    try {
      await probe.connect();
      await probe.ping();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      probe.disconnect();
    }
  }
}
