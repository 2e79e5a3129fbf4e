import { Logger } from '@nestjs/common';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { firstValueFrom, timeout } from 'rxjs';
import { createRpcClient } from '@llmp/platform';
import { startPrivateRedis } from './private-redis';
import { RunningApp, startApp } from './process-harness';
import { createQueuePrefix, createTestDatabase } from './test-env';

export interface RpcServiceHarness<Name extends string> {
  app: RunningApp;
  /** The environment the app was started with, for more processes on the same database, Redis and prefix. */
  appEnv: Record<string, string>;
  dbUrl: string;
  redisUrl: string;
  prefix: string;
  /** Sends a request to a pattern the way the gateway does; resolves with the answer. */
  send<T>(name: Name, data: unknown): Promise<T>;
  /** Sends a request that must fail; resolves with the error payload as the ClientProxy delivers it. */
  sendError(name: Name, data: unknown): Promise<Record<string, unknown>>;
  /** The app's own vector store directory (LanceDB, VECTOR_STORE_DIR), removed at stop; null without `vectors`. */
  vectorsDir: string | null;
  /** Runs SQL against the service's database (to check what is stored). */
  sql<T extends Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /** Starts another app on the same database, Redis and prefix (stopped with the harness). */
  startSibling(name: string, env?: Record<string, string>, timeoutMs?: number): Promise<RunningApp>;
  /** Adds a step to `stop()`, run before the steps added earlier (whatever was started later stops first). */
  onStop(step: () => Promise<unknown>): void;
  stop(): Promise<void>;
}

/**
 * A built RPC service as a process, with its own database, own Redis (see startPrivateRedis) and own queue prefix,
 * and an RPC client for its patterns. Call `stop()` in afterAll.
 */
export async function startRpcServiceHarness<Name extends string>(opts: {
  /** The app under dist/apps. */
  app: string;
  patterns: Record<Name, { pattern: string }>;
  /** Prefixes of the throw-away database's name and of the queue prefix. */
  dbPrefix: string;
  queuePrefix: string;
  env: Record<string, string>;
  readyPath?: string;
  /** Give the app a vector store directory of its own (VECTOR_STORE_DIR), made with this name prefix. */
  vectors?: string;
}): Promise<RpcServiceHarness<Name>> {
  Logger.overrideLogger(['error', 'warn']);
  const db = await createTestDatabase(opts.dbPrefix);
  const redis = await startPrivateRedis();
  const queue = createQueuePrefix(opts.queuePrefix);
  const cleanup: (() => Promise<unknown>)[] = [
    () => db.drop(),
    () => queue.cleanup().catch(() => undefined),
    () => redis.stop(),
  ];
  const vectorsDir = opts.vectors ? mkdtempSync(join(tmpdir(), opts.vectors)) : null;
  if (vectorsDir) cleanup.push(async () => rmSync(vectorsDir, { recursive: true, force: true }));
  const stop = async () => {
    for (const step of cleanup) await step().catch(() => undefined);
  };
  try {
    const appEnv = {
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      QUEUE_PREFIX: queue.prefix,
      ...(vectorsDir ? { VECTOR_STORE_DIR: vectorsDir } : {}),
      ...opts.env,
    };
    const app = await startApp(opts.app, appEnv, { readyPath: opts.readyPath });
    cleanup.unshift(() => app.stop());
    const client = createRpcClient(redis.url, queue.prefix);
    await client.connect();
    cleanup.unshift(() => client.close());

    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    cleanup.unshift(() => pg.end());

    const send = <T>(name: Name, data: unknown) =>
      firstValueFrom(client.send<T>(opts.patterns[name].pattern, data).pipe(timeout(15_000)));

    return {
      app,
      appEnv,
      dbUrl: db.url,
      redisUrl: redis.url,
      prefix: queue.prefix,
      send,
      sendError: async (name, data) => {
        try {
          const answer = await send(name, data);
          throw new Error(`${name} succeeded: ${JSON.stringify(answer)}`);
        } catch (err) {
          if (err instanceof Error) throw err;
          return err as Record<string, unknown>;
        }
      },
      vectorsDir,
      sql: async <T extends Record<string, unknown>>(text: string, params: unknown[] = []) =>
        (await pg.query<T>(text, params)).rows,
      startSibling: async (name, extra = {}, timeoutMs = 60_000) => {
        const sibling = await startApp(name, { ...appEnv, ...extra }, { readyPath: '/health/ready', timeoutMs });
        cleanup.unshift(() => sibling.stop());
        return sibling;
      },
      onStop: (step) => cleanup.unshift(step),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
