import { ChildProcess, spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort } from './process-harness';
import { TEST_REDIS_URL } from './test-env';

/**
 * A Redis server of one test file's own. The Redis transport of @nestjs/microservices is pub/sub on channels named
 * by the pattern, and pub/sub ignores database numbers and key prefixes: on the shared Redis, a service started by
 * another test run at the same moment would answer our requests. A private server rules that out. Falls back to
 * the shared Redis when `redis-server` is not installed.
 */
export async function startPrivateRedis(): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await freePort();
  let proc: ChildProcess;
  try {
    proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    await new Promise<void>((res, rej) => {
      proc.once('spawn', () => res());
      proc.once('error', rej);
    });
  } catch {
    return { url: TEST_REDIS_URL, stop: async () => undefined };
  }
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    try {
      await probe.connect();
      await probe.ping();
      break;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      probe.disconnect();
    }
  }
  return {
    url,
    stop: async () => {
      if (proc.exitCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
    },
  };
}
