import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { firstValueFrom, timeout } from 'rxjs';
import {
  CHAT_HISTORY_RPC,
  ChatHistoryRpcError,
  ChatHistoryRpcName,
  ChatHistoryRpcRequest,
  ChatHistoryRpcResponses,
  ConversationView,
  ItemInput,
} from '@llmp/contracts';
import { createRpcClient } from '@llmp/platform';
import { RunningApp, createQueuePrefix, createTestDatabase, startApp, startPrivateRedis } from '@llmp/testing';

export interface ChatHistoryHarness {
  app: RunningApp;
  dbUrl: string;
  redisUrl: string;
  prefix: string;
  /** The app's vector store directory (LanceDB), removed with the harness. */
  vectorsDir: string;
  /** Calls a pattern the way the gateway does; resolves with the answer. */
  call<N extends ChatHistoryRpcName>(name: N, data: ChatHistoryRpcRequest<N>): Promise<ChatHistoryRpcResponses[N]>;
  /** Calls a pattern that must fail; resolves with the error payload as the ClientProxy delivers it. */
  callError(name: ChatHistoryRpcName, data: unknown): Promise<ChatHistoryRpcError & Record<string, unknown>>;
  /** Runs SQL against the service's database (to check what is stored). */
  sql<T extends Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /** Starts another app on the same database, Redis and prefix (stopped with the harness). */
  startSibling(name: string, env?: Record<string, string>, timeoutMs?: number): Promise<RunningApp>;
  stop(): Promise<void>;
}

/** The built chat-history app as a process (own database, own Redis, own queue prefix) and an RPC client for it. */
export async function startChatHistory(env: Record<string, string> = {}): Promise<ChatHistoryHarness> {
  Logger.overrideLogger(['error', 'warn']);
  const db = await createTestDatabase('llmp_chat_history');
  const redis = await startPrivateRedis();
  const queue = createQueuePrefix('llmpch');
  const vectorsDir = mkdtempSync(join(tmpdir(), 'llmp-ch-vectors-'));
  const cleanup: (() => Promise<unknown>)[] = [
    async () => rmSync(vectorsDir, { recursive: true, force: true }),
    () => db.drop(),
    () => queue.cleanup().catch(() => undefined),
    () => redis.stop(),
  ];
  try {
    const appEnv = {
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      QUEUE_PREFIX: queue.prefix,
      VECTOR_STORE_DIR: vectorsDir,
      ...env,
    };
    const app = await startApp('chat-history', appEnv, { readyPath: '/health/ready' });
    cleanup.unshift(() => app.stop());
    const client = createRpcClient(redis.url, queue.prefix);
    await client.connect();
    cleanup.unshift(() => client.close());
    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    cleanup.unshift(() => pg.end());

    const send = <T>(name: ChatHistoryRpcName, data: unknown) =>
      firstValueFrom(client.send<T>(CHAT_HISTORY_RPC[name].pattern, data).pipe(timeout(15_000)));

    return {
      app,
      dbUrl: db.url,
      redisUrl: redis.url,
      prefix: queue.prefix,
      vectorsDir,
      call: <N extends ChatHistoryRpcName>(name: N, data: ChatHistoryRpcRequest<N>) =>
        send<ChatHistoryRpcResponses[N]>(name, data),
      callError: async (name, data) => {
        try {
          const answer = await send(name, data);
          throw new Error(`${name} succeeded: ${JSON.stringify(answer)}`);
        } catch (err) {
          if (err instanceof Error) throw err;
          return err as ChatHistoryRpcError & Record<string, unknown>;
        }
      },
      sql: async <T extends Record<string, unknown>>(text: string, params: unknown[] = []) =>
        (await pg.query<T>(text, params)).rows,
      startSibling: async (name, extra = {}, timeoutMs = 60_000) => {
        const sibling = await startApp(name, { ...appEnv, ...extra }, { readyPath: '/health/ready', timeoutMs });
        cleanup.unshift(() => sibling.stop());
        return sibling;
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

/** A fresh user id (the gateway passes the authenticated user's uuid). */
export function newUserId(): string {
  return randomUUID();
}

export function userMessage(text: string): ItemInput {
  return { type: 'message', role: 'user', content: text };
}

export function assistantMessage(text: string): ItemInput {
  return { type: 'message', role: 'assistant', content: [{ type: 'output_text', text }] };
}

export async function createConversation(
  h: ChatHistoryHarness,
  userId: string,
  body: Omit<ChatHistoryRpcRequest<'createConversation'>, 'userId'> = {},
): Promise<ConversationView> {
  return h.call('createConversation', { userId, ...body });
}

export async function waitFor<T>(
  probe: () => Promise<T | null | undefined | false>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
