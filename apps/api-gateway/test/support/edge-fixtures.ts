// The platform of the edge suites (edge-hardening, edge-routes): auth, chat-history, rag and a gateway as real
// processes, no inference worker (nothing is consumed, so queued jobs stay queued), and a models config of its
// own: stories260k with one slot, a queue of two and a user share of one half. Each suite file that calls
// `useEdgePlatform()` starts its own; the helpers below talk to it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { REPO_ROOT, RunningPlatform, login, registerUser, startPlatform } from '@llmp/testing';

// Response bodies are checked field by field below; their static type adds nothing here.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type JsonBody = any;

const MODELS_DIR = resolve(REPO_ROOT, '../shared/models');
export const AUTH_FAILURES_PER_IP_PER_MIN = 5;
export const PASSWORD = 'Str0ng-enough-pass';

/** The running platform and its gateway's URL, set by `useEdgePlatform()` before the suite's tests run. */
export const edge = { platform: undefined as unknown as RunningPlatform, gw: '' };
let configDir: string;

export function useEdgePlatform(): void {
  beforeAll(startEdgePlatform, 120_000);
  afterAll(async () => {
    await edge.platform?.stop();
    if (configDir) rmSync(configDir, { recursive: true, force: true });
  });
}

async function startEdgePlatform(): Promise<void> {
  configDir = mkdtempSync(join(tmpdir(), 'llmp-edge-'));
  const modelsConfig = join(configDir, 'models.yaml');
  writeFileSync(
    modelsConfig,
    [
      'models:',
      '  - id: stories260k',
      `    path: ${join(MODELS_DIR, 'stories260K.gguf')}`,
      '    capabilities: [chat, completion]',
      '    context_size: 512',
      '    slots: 1',
      '    max_queue: 2',
      '    max_user_share: 0.5',
      '  - id: tinystories-656k',
      `    path: ${join(MODELS_DIR, 'TinyStories-656K-Q8_0.gguf')}`,
      '    capabilities: [completion]',
      '    context_size: 512',
      '    slots: 1',
      '',
    ].join('\n'),
  );
  edge.platform = await startPlatform({
    worker: false,
    chatHistory: true,
    // rag needs its embedding model in its models config (nothing is ingested here: the routes' rows use unknown ids).
    rag: true,
    ragEnv: { MODELS_CONFIG: resolve(REPO_ROOT, 'infra/config/models.yaml') },
    env: { MODELS_CONFIG: modelsConfig },
    gatewayEnv: { AUTH_FAILURES_PER_IP_PER_MIN: String(AUTH_FAILURES_PER_IP_PER_MIN) },
  });
  edge.gw = edge.platform.gateway.url;
}

export interface Call {
  status: number;
  body: JsonBody;
  headers: Headers;
}

export async function api(path: string, init: RequestInit & { bearer?: string } = {}): Promise<Call> {
  const headers: Record<string, string> = { ...(init.headers as Record<string, string>) };
  if (init.body && !headers['content-type']) headers['content-type'] = 'application/json';
  if (init.bearer) headers.authorization = `Bearer ${init.bearer}`;
  const res = await fetch(`${edge.gw}${path}`, { ...init, headers });
  const text = await res.text();
  let body: JsonBody = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body, headers: res.headers };
}

export async function eventually<T>(
  attempt: () => Promise<T | null>,
  withinMs: number,
  what: string | (() => string),
): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const result = await attempt();
    if (result !== null) return result;
    if (Date.now() > deadline)
      throw new Error(`${typeof what === 'string' ? what : what()}: not within ${withinMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

let userSeq = 0;
export const newUsername = () => `edge${Date.now().toString(36)}${userSeq++}`;

/** A new user promoted to admin by the platform's admin, so its keys can hold every scope; returns its token. */
export async function newAdminUser(): Promise<string> {
  const username = newUsername();
  const token = await registerUser(edge.gw, username, PASSWORD);
  const me = await api('/v1/auth/me', { bearer: token });
  const promoted = await api(`/v1/admin/users/${me.body.id}`, {
    method: 'PATCH',
    bearer: edge.platform.adminToken,
    body: JSON.stringify({ role: 'admin' }),
  });
  expect(promoted.status).toBe(200);
  return login(edge.gw, username, PASSWORD);
}
