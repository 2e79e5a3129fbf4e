import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunningApp, startApp } from './process-harness';
import { createQueuePrefix, createTestDatabase } from './test-env';

export const TEST_ADMIN = { username: 'admin', password: 'Admin-test-Passw0rd!' };

export interface PlatformOptions {
  /** Start an inference worker (default true) serving these models (default: all in the models config). */
  worker?: boolean;
  workerModels?: string;
  /** Start the chat-history service (default false). */
  chatHistory?: boolean;
  chatHistoryEnv?: Record<string, string>;
  /** Start an embedding worker (default false), with this extra environment. */
  embeddingWorker?: boolean;
  embeddingWorkerEnv?: Record<string, string>;
  /** Start the rag service (default false), with this extra environment; ingest needs `embeddingWorker` too. */
  rag?: boolean;
  ragEnv?: Record<string, string>;
  /** Number of gateway replicas (default 1). */
  gateways?: number;
  env?: Record<string, string>;
  workerEnv?: Record<string, string>;
  gatewayEnv?: Record<string, string>;
}

/**
 * The services documents need, to spread into PlatformOptions: chat-history, an embedding worker serving
 * potion-base-2m (the vector stores' default model) and rag.
 */
export const WITH_DOCUMENTS = {
  chatHistory: true,
  embeddingWorker: true,
  embeddingWorkerEnv: { EMBEDDING_WORKER_MODELS: 'potion-base-2m' },
  rag: true,
} as const satisfies PlatformOptions;

export interface RunningPlatform {
  env: Record<string, string>;
  auth: RunningApp;
  worker: RunningApp | null;
  chatHistory: RunningApp | null;
  embeddingWorker: RunningApp | null;
  rag: RunningApp | null;
  gateways: RunningApp[];
  gateway: RunningApp;
  /** An admin access token and an API key of the admin, ready for requests. */
  adminToken: string;
  apiKey: string;
  databaseUrl: string;
  queuePrefix: string;
  stop(): Promise<void>;
}

/**
 * Starts auth, an inference worker and gateway replicas as real processes on a throw-away database and queue
 * prefix, and mints an admin API key through the public API. Call `stop()` in afterAll.
 */
export async function startPlatform(opts: PlatformOptions = {}): Promise<RunningPlatform> {
  const db = await createTestDatabase();
  const prefix = createQueuePrefix();
  const vectorsDir = mkdtempSync(join(tmpdir(), 'llmp-vectors-'));
  const env = {
    DATABASE_URL: db.url,
    QUEUE_PREFIX: prefix.prefix,
    VECTOR_STORE_DIR: vectorsDir,
    AUTH_ADMIN_USERNAME: TEST_ADMIN.username,
    AUTH_ADMIN_PASSWORD: TEST_ADMIN.password,
    ...opts.env,
  };
  const started: RunningApp[] = [];
  const stop = async () => {
    await Promise.all(started.map((a) => a.stop()));
    await prefix.cleanup();
    await db.drop();
    rmSync(vectorsDir, { recursive: true, force: true });
  };
  try {
    const auth = await startApp('auth', env, { readyPath: '/health/ready' });
    started.push(auth);
    let worker: RunningApp | null = null;
    if (opts.worker !== false) {
      const workerEnv = {
        ...env,
        ...(opts.workerModels ? { WORKER_MODELS: opts.workerModels } : {}),
        ...opts.workerEnv,
      };
      worker = await startApp('inference-worker', workerEnv, { readyPath: '/health/ready', timeoutMs: 60000 });
      started.push(worker);
    }
    let chatHistory: RunningApp | null = null;
    if (opts.chatHistory) {
      chatHistory = await startApp('chat-history', { ...env, ...opts.chatHistoryEnv }, { readyPath: '/health/ready' });
      started.push(chatHistory);
    }
    let embeddingWorker: RunningApp | null = null;
    if (opts.embeddingWorker) {
      const embeddingEnv = { ...env, ...opts.embeddingWorkerEnv };
      embeddingWorker = await startApp('embedding-worker', embeddingEnv, {
        readyPath: '/health/ready',
        timeoutMs: 60000,
      });
      started.push(embeddingWorker);
    }
    let rag: RunningApp | null = null;
    if (opts.rag) {
      rag = await startApp('rag', { ...env, ...opts.ragEnv }, { readyPath: '/health/ready', timeoutMs: 60000 });
      started.push(rag);
    }
    const gateways: RunningApp[] = [];
    for (let i = 0; i < (opts.gateways ?? 1); i++) {
      const gw = await startApp('api-gateway', { ...env, ...opts.gatewayEnv }, { readyPath: '/health/ready' });
      started.push(gw);
      gateways.push(gw);
    }
    const gateway = gateways[0]!;
    const adminToken = await login(gateway.url, TEST_ADMIN.username, TEST_ADMIN.password);
    const apiKey = await createApiKey(gateway.url, adminToken, { name: 'test' });
    return {
      env,
      auth,
      worker,
      chatHistory,
      embeddingWorker,
      rag,
      gateways,
      gateway,
      adminToken,
      apiKey,
      databaseUrl: db.url,
      queuePrefix: prefix.prefix,
      stop,
    };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}

export async function login(gatewayUrl: string, username: string, password: string): Promise<string> {
  const res = await fetch(`${gatewayUrl}/v1/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (res.status !== 200) throw new Error(`login of ${username} failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

export async function createApiKey(gatewayUrl: string, bearer: string, body: Record<string, unknown>): Promise<string> {
  const res = await fetch(`${gatewayUrl}/v1/api-keys`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
    body: JSON.stringify(body),
  });
  if (res.status !== 201) throw new Error(`creating an API key failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { key: string }).key;
}

/** Registers a user and returns an access token for it. */
export async function registerUser(gatewayUrl: string, username: string, password: string): Promise<string> {
  const res = await fetch(`${gatewayUrl}/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (res.status !== 201) throw new Error(`registering ${username} failed: ${res.status} ${await res.text()}`);
  return login(gatewayUrl, username, password);
}
