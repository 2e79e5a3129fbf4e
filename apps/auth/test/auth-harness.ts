import { Logger } from '@nestjs/common';
import { ChildProcess, spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { firstValueFrom, timeout } from 'rxjs';
import type { JSONWebKeySet } from 'jose';
import {
  AUTH_RPC,
  ApiKeyCreated,
  ApiKeyView,
  AuthEvent,
  AuthRpcError,
  AuthRpcName,
  AuthRpcRequest,
  ListPage,
  Principal,
  TokenResponse,
  UsageReport,
  UserView,
  authEventsChannel,
} from '@llmp/contracts';
import { createRpcClient } from '@llmp/platform';
import { RunningApp, TEST_REDIS_URL, createQueuePrefix, createTestDatabase, freePort, startApp } from '@llmp/testing';

export const ADMIN_PASSWORD = 'Admin-test-pass-42';

/**
 * A Redis server of this test file's own. The Redis transport of @nestjs/microservices is pub/sub on channels named
 * by the pattern, and pub/sub ignores database numbers and key prefixes: on the shared Redis, an auth app started by
 * another test run at the same moment would answer our requests from its database. A private server rules that out.
 * Falls back to the shared Redis when `redis-server` is not installed.
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

/** What each pattern answers (the auth app's side of the contract). */
export interface AuthRpcResponses {
  register: UserView;
  issueToken: TokenResponse;
  refreshToken: TokenResponse;
  revokeToken: { revoked: true };
  jwks: JSONWebKeySet;
  userPrincipal: Principal | null;
  keyPrincipal: Principal | null;
  me: UserView;
  createApiKey: ApiKeyCreated;
  listApiKeys: ListPage<ApiKeyView>;
  revokeApiKey: { id: string; object: 'api_key'; deleted: true };
  listUsers: ListPage<UserView>;
  updateUser: UserView;
  usage: UsageReport;
}

export interface AuthHarness {
  app: RunningApp;
  dbUrl: string;
  redisUrl: string;
  prefix: string;
  /** Calls a pattern the way the gateway does; resolves with the answer. */
  call<N extends AuthRpcName>(name: N, data: AuthRpcRequest<N>): Promise<AuthRpcResponses[N]>;
  /** Calls a pattern that must fail; resolves with the error payload as the ClientProxy delivers it. */
  callError(name: AuthRpcName, data: unknown): Promise<AuthRpcError & Record<string, unknown>>;
  /** Events pushed on `<prefix>:auth:events` since the harness started. */
  events: AuthEvent[];
  waitForEvent(match: (e: AuthEvent) => boolean, timeoutMs?: number): Promise<AuthEvent>;
  /** Starts another replica on the same database, Redis and prefix (stopped with the harness). */
  startReplica(): Promise<RunningApp>;
  stop(): Promise<void>;
}

/** The built auth app as a process (own database, own Redis, own queue prefix) and an RPC client for it. */
export async function startAuth(env: Record<string, string> = {}): Promise<AuthHarness> {
  Logger.overrideLogger(['error', 'warn']);
  const db = await createTestDatabase('llmp_auth');
  const redis = await startPrivateRedis();
  const queue = createQueuePrefix('llmpauth');
  const cleanup: (() => Promise<unknown>)[] = [
    () => db.drop(),
    () => queue.cleanup().catch(() => undefined),
    () => redis.stop(),
  ];
  try {
    const appEnv = {
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      QUEUE_PREFIX: queue.prefix,
      AUTH_ADMIN_PASSWORD: ADMIN_PASSWORD,
      ...env,
    };
    const app = await startApp('auth', appEnv);
    cleanup.unshift(() => app.stop());
    const client = createRpcClient(redis.url, queue.prefix);
    await client.connect();
    cleanup.unshift(() => client.close());

    const events: AuthEvent[] = [];
    const sub = new Redis(redis.url);
    cleanup.unshift(async () => sub.disconnect());
    sub.on('message', (_channel: string, message: string) => events.push(JSON.parse(message) as AuthEvent));
    await sub.subscribe(authEventsChannel(queue.prefix));

    const send = <T>(name: AuthRpcName, data: unknown) =>
      firstValueFrom(client.send<T>(AUTH_RPC[name].pattern, data).pipe(timeout(15_000)));

    return {
      app,
      dbUrl: db.url,
      redisUrl: redis.url,
      prefix: queue.prefix,
      call: <N extends AuthRpcName>(name: N, data: AuthRpcRequest<N>) => send<AuthRpcResponses[N]>(name, data),
      callError: async (name, data) => {
        try {
          const answer = await send(name, data);
          throw new Error(`${name} succeeded: ${JSON.stringify(answer)}`);
        } catch (err) {
          if (err instanceof Error) throw err;
          return err as AuthRpcError & Record<string, unknown>;
        }
      },
      events,
      waitForEvent: async (match, timeoutMs = 5000) => {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const found = events.find(match);
          if (found) return found;
          if (Date.now() > deadline) throw new Error(`no matching event; got ${JSON.stringify(events)}`);
          await new Promise((r) => setTimeout(r, 20));
        }
      },
      startReplica: async () => {
        const replica = await startApp('auth', appEnv);
        cleanup.unshift(() => replica.stop());
        return replica;
      },
      stop: () => runAll(cleanup),
    };
  } catch (err) {
    await runAll(cleanup);
    throw err;
  }
}

async function runAll(steps: (() => Promise<unknown>)[]): Promise<void> {
  for (const step of steps) await step().catch(() => undefined);
}

let seq = 0;
/** A username unique to this run. */
export function uniqueUsername(base = 'user'): string {
  return `${base}${Date.now().toString(36)}${(seq++).toString(36)}`;
}

export const STRONG_PASSWORD = 'Str0ng-enough-pass';
