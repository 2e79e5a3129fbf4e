// End-to-end: the hardened edge (issue 14). Auth, chat-history and a gateway as real processes, no inference worker
// (nothing is consumed, so queued jobs stay queued), and a models config of this file's own: stories260k with one
// slot, a queue of two and a user share of one half.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import OpenAI from 'openai';
import { SCOPES, Scope } from '@llmp/contracts';
import { REPO_ROOT, RunningPlatform, createApiKey, login, registerUser, startPlatform } from '@llmp/testing';

jest.setTimeout(120_000);

// Response bodies are checked field by field below; their static type adds nothing here.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type JsonBody = any;

const MODELS_DIR = resolve(REPO_ROOT, '../shared/models');
const AUTH_FAILURES_PER_IP_PER_MIN = 5;
const PASSWORD = 'Str0ng-enough-pass';

let platform: RunningPlatform;
let gw: string;
let configDir: string;

beforeAll(async () => {
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
  platform = await startPlatform({
    worker: false,
    chatHistory: true,
    // rag needs its embedding model in its models config (nothing is ingested here: the routes' rows use unknown ids).
    rag: true,
    ragEnv: { MODELS_CONFIG: resolve(REPO_ROOT, 'infra/config/models.yaml') },
    env: { MODELS_CONFIG: modelsConfig },
    gatewayEnv: { AUTH_FAILURES_PER_IP_PER_MIN: String(AUTH_FAILURES_PER_IP_PER_MIN) },
  });
  gw = platform.gateway.url;
});

afterAll(async () => {
  await platform?.stop();
  if (configDir) rmSync(configDir, { recursive: true, force: true });
});

interface Call {
  status: number;
  body: JsonBody;
  headers: Headers;
}

async function api(path: string, init: RequestInit & { bearer?: string } = {}): Promise<Call> {
  const headers: Record<string, string> = { ...(init.headers as Record<string, string>) };
  if (init.body && !headers['content-type']) headers['content-type'] = 'application/json';
  if (init.bearer) headers.authorization = `Bearer ${init.bearer}`;
  const res = await fetch(`${gw}${path}`, { ...init, headers });
  const text = await res.text();
  let body: JsonBody = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body, headers: res.headers };
}

async function eventually<T>(
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
const newUsername = () => `edge${Date.now().toString(36)}${userSeq++}`;

/** A new user promoted to admin by the platform's admin, so its keys can hold every scope; returns its token. */
async function newAdminUser(): Promise<string> {
  const username = newUsername();
  const token = await registerUser(gw, username, PASSWORD);
  const me = await api('/v1/auth/me', { bearer: token });
  const promoted = await api(`/v1/admin/users/${me.body.id}`, {
    method: 'PATCH',
    bearer: platform.adminToken,
    body: JSON.stringify({ role: 'admin' }),
  });
  expect(promoted.status).toBe(200);
  return login(gw, username, PASSWORD);
}

// ---------------------------------------------------------------------------------------------------------------
// a. Every route with a narrow key
// ---------------------------------------------------------------------------------------------------------------

/** What a route needs: a scope, any credential (`any`: routes about the credential itself), or none (`public`). */
type Need = Scope | 'any' | 'public';

interface RouteCase {
  /** Method and path as the OpenAPI document writes them. */
  route: string;
  need: Need;
  /** A concrete request that a caller holding the scope may make (and is answered neither 403 nor 5xx). */
  path: string;
  /** Its JSON body, or a function making one (a fresh user's credentials). */
  body?: unknown | (() => Promise<unknown>);
  /** Anthropic's API: errors in Anthropic's shape (`{type: 'error', error: {type, message}}`). */
  anthropic?: boolean;
}

const NO_UUID = '00000000-0000-4000-8000-000000000001';

/**
 * Every route the gateway serves under /v1, with the scope it needs. The test below fails when the gateway serves a
 * route this table lacks (or no longer serves one it has): a new route needs a row, and so a narrow-key test.
 * `DELETE /v1/me/data` comes last: it revokes every key of the caller.
 */
const ROUTES: RouteCase[] = [
  { route: 'GET /v1/models', need: 'models.read', path: '/v1/models' },
  { route: 'GET /v1/functions', need: 'models.read', path: '/v1/functions' },
  { route: 'GET /v1/models/{id}', need: 'models.read', path: '/v1/models/stories260k' },
  { route: 'POST /v1/chat/completions', need: 'model.request', path: '/v1/chat/completions', body: {} },
  { route: 'POST /v1/completions', need: 'model.request', path: '/v1/completions', body: {} },
  { route: 'POST /v1/embeddings', need: 'model.request', path: '/v1/embeddings', body: {} },
  { route: 'POST /v1/responses', need: 'model.request', path: '/v1/responses', body: {} },
  { route: 'POST /v1/messages', need: 'model.request', path: '/v1/messages', body: {}, anthropic: true },
  {
    route: 'POST /v1/messages/count_tokens',
    need: 'model.request',
    path: '/v1/messages/count_tokens',
    body: {},
    anthropic: true,
  },
  { route: 'GET /v1/responses/{id}', need: 'conversations.read', path: '/v1/responses/resp_nope' },
  { route: 'DELETE /v1/responses/{id}', need: 'conversations.write', path: '/v1/responses/resp_nope' },
  {
    route: 'GET /v1/responses/{id}/input_items',
    need: 'conversations.read',
    path: '/v1/responses/resp_nope/input_items',
  },
  { route: 'POST /v1/conversations', need: 'conversations.write', path: '/v1/conversations', body: {} },
  { route: 'GET /v1/conversations', need: 'conversations.read', path: '/v1/conversations' },
  { route: 'GET /v1/conversations/{id}', need: 'conversations.read', path: '/v1/conversations/conv_nope' },
  {
    route: 'POST /v1/conversations/{id}',
    need: 'conversations.write',
    path: '/v1/conversations/conv_nope',
    body: { metadata: { a: 'b' } },
  },
  { route: 'DELETE /v1/conversations/{id}', need: 'conversations.write', path: '/v1/conversations/conv_nope' },
  {
    route: 'GET /v1/conversations/{id}/export',
    need: 'conversations.read',
    path: '/v1/conversations/conv_nope/export',
  },
  {
    route: 'POST /v1/conversations/{id}/items',
    need: 'conversations.write',
    path: '/v1/conversations/conv_nope/items',
    body: { items: [{ type: 'message', role: 'user', content: 'hi' }] },
  },
  { route: 'GET /v1/conversations/{id}/items', need: 'conversations.read', path: '/v1/conversations/conv_nope/items' },
  {
    route: 'GET /v1/conversations/{id}/items/{itemId}',
    need: 'conversations.read',
    path: '/v1/conversations/conv_nope/items/msg_nope',
  },
  {
    route: 'DELETE /v1/conversations/{id}/items/{itemId}',
    need: 'conversations.write',
    path: '/v1/conversations/conv_nope/items/msg_nope',
  },
  { route: 'GET /v1/usage', need: 'usage.read', path: '/v1/usage' },
  {
    route: 'POST /v1/api-keys',
    need: 'api_keys.write',
    path: '/v1/api-keys',
    body: { name: 'child', permissions: 'restricted', scopes: ['api_keys.write'] },
  },
  { route: 'GET /v1/api-keys', need: 'api_keys.read', path: '/v1/api-keys' },
  { route: 'DELETE /v1/api-keys/{id}', need: 'api_keys.write', path: `/v1/api-keys/${NO_UUID}` },
  { route: 'GET /v1/admin/users', need: 'admin', path: '/v1/admin/users' },
  { route: 'GET /v1/status', need: 'admin', path: '/v1/status' },
  {
    route: 'PATCH /v1/admin/users/{id}',
    need: 'admin',
    path: `/v1/admin/users/${NO_UUID}`,
    body: { disabled: false },
  },
  { route: 'GET /v1/auth/me', need: 'any', path: '/v1/auth/me' },
  { route: 'POST /v1/auth/logout', need: 'any', path: '/v1/auth/logout', body: { refresh_token: 'x'.repeat(40) } },
  {
    route: 'POST /v1/auth/register',
    need: 'public',
    path: '/v1/auth/register',
    body: async () => ({ username: newUsername(), password: PASSWORD }),
  },
  {
    route: 'POST /v1/auth/token',
    need: 'public',
    path: '/v1/auth/token',
    body: async () => {
      const username = newUsername();
      await registerUser(gw, username, PASSWORD);
      return { username, password: PASSWORD };
    },
  },
  {
    route: 'POST /v1/auth/refresh',
    need: 'public',
    path: '/v1/auth/refresh',
    body: async () => {
      const username = newUsername();
      await registerUser(gw, username, PASSWORD);
      const tokens = await api('/v1/auth/token', {
        method: 'POST',
        body: JSON.stringify({ username, password: PASSWORD }),
      });
      return { refresh_token: tokens.body.refresh_token };
    },
  },
  // Files and vector stores (the rag service answers 404 for the unknown ids; the upload without a form is a 400).
  { route: 'POST /v1/files', need: 'files.write', path: '/v1/files' },
  { route: 'GET /v1/files', need: 'files.read', path: '/v1/files' },
  { route: 'GET /v1/files/{id}', need: 'files.read', path: '/v1/files/file-nope' },
  { route: 'GET /v1/files/{id}/content', need: 'files.read', path: '/v1/files/file-nope/content' },
  { route: 'DELETE /v1/files/{id}', need: 'files.write', path: '/v1/files/file-nope' },
  { route: 'POST /v1/vector_stores', need: 'files.write', path: '/v1/vector_stores', body: { name: 'edge' } },
  { route: 'GET /v1/vector_stores', need: 'files.read', path: '/v1/vector_stores' },
  { route: 'GET /v1/vector_stores/{id}', need: 'files.read', path: '/v1/vector_stores/vs_nope' },
  {
    route: 'POST /v1/vector_stores/{id}',
    need: 'files.write',
    path: '/v1/vector_stores/vs_nope',
    body: { name: 'renamed' },
  },
  { route: 'DELETE /v1/vector_stores/{id}', need: 'files.write', path: '/v1/vector_stores/vs_nope' },
  {
    route: 'POST /v1/vector_stores/{id}/search',
    need: 'files.read',
    path: '/v1/vector_stores/vs_nope/search',
    body: { query: 'anything' },
  },
  {
    route: 'POST /v1/vector_stores/{id}/files',
    need: 'files.write',
    path: '/v1/vector_stores/vs_nope/files',
    body: { file_id: 'file-nope' },
  },
  { route: 'GET /v1/vector_stores/{id}/files', need: 'files.read', path: '/v1/vector_stores/vs_nope/files' },
  {
    route: 'GET /v1/vector_stores/{id}/files/{fileId}',
    need: 'files.read',
    path: '/v1/vector_stores/vs_nope/files/file-nope',
  },
  {
    route: 'POST /v1/vector_stores/{id}/files/{fileId}',
    need: 'files.write',
    path: '/v1/vector_stores/vs_nope/files/file-nope',
    body: { attributes: { a: 'b' } },
  },
  {
    route: 'DELETE /v1/vector_stores/{id}/files/{fileId}',
    need: 'files.write',
    path: '/v1/vector_stores/vs_nope/files/file-nope',
  },
  {
    route: 'GET /v1/vector_stores/{id}/files/{fileId}/content',
    need: 'files.read',
    path: '/v1/vector_stores/vs_nope/files/file-nope/content',
  },
  {
    route: 'POST /v1/vector_stores/{id}/file_batches',
    need: 'files.write',
    path: '/v1/vector_stores/vs_nope/file_batches',
    body: { file_ids: ['file-nope'] },
  },
  {
    route: 'GET /v1/vector_stores/{id}/file_batches/{batchId}',
    need: 'files.read',
    path: '/v1/vector_stores/vs_nope/file_batches/vsfb_nope',
  },
  {
    route: 'POST /v1/vector_stores/{id}/file_batches/{batchId}/cancel',
    need: 'files.write',
    path: '/v1/vector_stores/vs_nope/file_batches/vsfb_nope/cancel',
  },
  {
    route: 'GET /v1/vector_stores/{id}/file_batches/{batchId}/files',
    need: 'files.read',
    path: '/v1/vector_stores/vs_nope/file_batches/vsfb_nope/files',
  },
  { route: 'POST /v1/rag/documents', need: 'files.write', path: '/v1/rag/documents', body: {} },
  { route: 'POST /v1/rag/search', need: 'files.read', path: '/v1/rag/search', body: {} },
  // It also needs files.read (checked once the body is valid): `{}` is answered 400 with model.request alone.
  { route: 'POST /v1/rag/chat', need: 'model.request', path: '/v1/rag/chat', body: {} },
  { route: 'DELETE /v1/me/data', need: 'data.delete', path: '/v1/me/data' },
];

async function request(c: RouteCase, bearer?: string): Promise<Call> {
  const method = c.route.split(' ')[0]!;
  const body = typeof c.body === 'function' ? await c.body() : c.body;
  return api(c.path, { method, bearer, body: body === undefined ? undefined : JSON.stringify(body) });
}

describe('a narrow key on every route', () => {
  /** Per scope: a key holding every scope but it, and a key holding only it (all of one admin user). */
  const without = new Map<Scope, string>();
  const only = new Map<Scope, string>();

  beforeAll(async () => {
    const owner = await newAdminUser();
    for (const scope of SCOPES) {
      const others = SCOPES.filter((s) => s !== scope);
      without.set(
        scope,
        await createApiKey(gw, owner, { name: `no-${scope}`, permissions: 'restricted', scopes: others }),
      );
      only.set(
        scope,
        await createApiKey(gw, owner, { name: `only-${scope}`, permissions: 'restricted', scopes: [scope] }),
      );
    }
  });

  it('the table lists exactly the routes the gateway serves under /v1 (its OpenAPI document)', async () => {
    const doc = await api('/docs/openapi.json');
    expect(doc.status).toBe(200);
    const served = Object.entries(doc.body.paths as Record<string, Record<string, unknown>>)
      .filter(([path]) => path.startsWith('/v1/'))
      .flatMap(([path, ops]) =>
        Object.keys(ops)
          .filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
          .map((m) => `${m.toUpperCase()} ${path}`),
      )
      .sort();
    expect(ROUTES.map((r) => r.route).sort()).toEqual(served);
  });

  it.each(ROUTES.map((c) => [c.route, c.need, c] as const))('%s (%s)', async (_route, need, c) => {
    if (need === 'public') {
      // No credential at all, and a real success.
      const res = await request(c);
      expect(res.status).toBeGreaterThanOrEqual(200);
      expect(res.status).toBeLessThan(300);
      return;
    }
    if (need === 'any') {
      // The narrowest key there is still reaches the routes about its own credential.
      const res = await request(c, only.get('models.read'));
      expect(res.status).not.toBe(403);
      expect(res.status).toBeLessThan(500);
      return;
    }
    const refused = await request(c, without.get(need));
    expect(refused.status).toBe(403);
    if (c.anthropic) expect(refused.body).toMatchObject({ type: 'error', error: { type: 'permission_error' } });
    else expect(refused.body.error).toMatchObject({ code: 'permission_denied', type: 'invalid_request_error' });
    expect(refused.body.error.message).toContain(`Missing scope: ${need}`);

    const allowed = await request(c, only.get(need));
    expect(allowed.status).not.toBe(403);
    expect(allowed.status).not.toBe(401);
    expect(allowed.status).toBeLessThan(500);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// b, c. Key permissions cannot be escalated
// ---------------------------------------------------------------------------------------------------------------

describe('API key permissions', () => {
  it('a read_only key cannot ask for a completion (403 naming model.request) but can list models', async () => {
    const key = await createApiKey(gw, platform.adminToken, { name: 'ro', permissions: 'read_only' });
    const client = new OpenAI({ baseURL: `${gw}/v1`, apiKey: key, maxRetries: 0 });
    expect((await client.models.list()).data.map((m) => m.id)).toContain('stories260k');
    const err = await client.chat.completions
      .create({ model: 'stories260k', messages: [{ role: 'user', content: 'Once upon a time' }], max_tokens: 4 })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err).toMatchObject({ status: 403, code: 'permission_denied' });
    expect((err as Error).message).toContain('model.request');
  });

  it('a key restricted to one model creates keys for that model only, never wider', async () => {
    const expiresAt = Math.floor(Date.now() / 1000) + 3600;
    const narrow = await createApiKey(gw, platform.adminToken, {
      name: 'narrow',
      models: ['tinystories-656k'],
      rpm: 100,
      expires_at: expiresAt,
    });

    // Created with the narrow key, nothing asked: the new key inherits the model list, the limit and the expiry.
    const child = await api('/v1/api-keys', { method: 'POST', bearer: narrow, body: JSON.stringify({ name: 'c' }) });
    expect(child.status).toBe(201);
    expect(child.body).toMatchObject({ models: ['tinystories-656k'], rpm: 100, expires_at: expiresAt });
    const listed = await api('/v1/models', { bearer: child.body.key });
    expect(listed.status).toBe(200);
    expect(listed.body.data.map((m: { id: string }) => m.id)).toEqual(['tinystories-656k']);
    expect((await api('/v1/models/stories260k', { bearer: child.body.key })).status).toBe(404);

    const widen = async (body: Record<string, unknown>) =>
      api('/v1/api-keys', { method: 'POST', bearer: narrow, body: JSON.stringify({ name: 'wider', ...body }) });
    const attempts: [Record<string, unknown>, string][] = [
      [{ models: null }, 'models'],
      [{ models: ['stories260k'] }, 'models'],
      [{ models: ['tinystories-656k', 'stories260k'] }, 'models'],
      [{ rpm: 101 }, 'rpm'],
      [{ rpm: null }, 'rpm'],
      [{ expires_at: expiresAt + 60 }, 'expires_at'],
      [{ expires_at: null }, 'expires_at'],
    ];
    for (const [body, param] of attempts) {
      const res = await widen(body);
      expect({ body, status: res.status, code: res.body.error?.code, param: res.body.error?.param }).toEqual({
        body,
        status: 403,
        code: 'permission_denied',
        param,
      });
    }
    // Narrower is fine.
    const narrower = await widen({ rpm: 50, expires_at: expiresAt - 60 });
    expect(narrower.status).toBe(201);
    expect(narrower.body).toMatchObject({ models: ['tinystories-656k'], rpm: 50, expires_at: expiresAt - 60 });
  });

  it('a restricted key cannot create a key with scopes it lacks, nor an admin scope for a user', async () => {
    const creator = await createApiKey(gw, platform.adminToken, {
      name: 'keys-only',
      permissions: 'restricted',
      scopes: ['models.read', 'api_keys.write'],
    });
    const all = await api('/v1/api-keys', { method: 'POST', bearer: creator, body: JSON.stringify({ name: 'x' }) });
    expect(all.status).toBe(403);
    expect(all.body.error).toMatchObject({ code: 'permission_denied', param: 'permissions' });
    const extra = await api('/v1/api-keys', {
      method: 'POST',
      bearer: creator,
      body: JSON.stringify({ name: 'x', permissions: 'restricted', scopes: ['models.read', 'model.request'] }),
    });
    expect(extra.status).toBe(403);
    expect(extra.body.error).toMatchObject({ code: 'permission_denied', param: 'scopes' });
    expect(extra.body.error.message).toContain('model.request');
    const same = await api('/v1/api-keys', {
      method: 'POST',
      bearer: creator,
      body: JSON.stringify({ name: 'x', permissions: 'restricted', scopes: ['models.read'] }),
    });
    expect(same.status).toBe(201);
    expect(same.body.scopes).toEqual(['models.read']);

    const user = await registerUser(gw, newUsername(), PASSWORD);
    const admin = await api('/v1/api-keys', {
      method: 'POST',
      bearer: user,
      body: JSON.stringify({ name: 'x', permissions: 'restricted', scopes: ['admin'] }),
    });
    expect(admin.status).toBe(403);
    expect(admin.body.error).toMatchObject({ code: 'permission_denied', param: 'scopes' });
  });
});

// ---------------------------------------------------------------------------------------------------------------
// e. Bounded queue, fairness, queued SSE comments
// ---------------------------------------------------------------------------------------------------------------

interface Pending {
  abort: AbortController;
  response: Promise<Response>;
}

function chat(bearer: string, stream: boolean): Pending {
  const abort = new AbortController();
  const response = fetch(`${gw}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
    body: JSON.stringify({
      model: 'stories260k',
      messages: [{ role: 'user', content: 'Once upon a time' }],
      max_tokens: 8,
      stream,
    }),
    signal: abort.signal,
  });
  // Aborted at the end of the test on purpose: a rejection then is expected.
  response.catch(() => undefined);
  return { abort, response };
}

/** The response, or null while the gateway has not answered (a job admitted to a queue nobody consumes). */
async function within(p: Pending, ms: number): Promise<Response | null> {
  return Promise.race([p.response, new Promise<null>((r) => setTimeout(() => r(null), ms))]);
}

/** Reads an SSE body until `count` comment lines matching `pattern` have arrived; returns them. */
async function readComments(res: Response, pattern: RegExp, count: number, withinMs: number): Promise<string[]> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const deadline = Date.now() + withinMs;
  let text = '';
  for (;;) {
    const lines = text.split('\n').filter((l) => pattern.test(l));
    if (lines.length >= count) {
      reader.releaseLock();
      return lines;
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw new Error(`only ${lines.length} of ${count} comments within ${withinMs} ms: ${text}`);
    const chunk = await Promise.race([reader.read(), new Promise<null>((r) => setTimeout(() => r(null), remaining))]);
    if (chunk === null) continue;
    if (chunk.done) throw new Error(`stream ended after: ${text}`);
    text += decoder.decode(chunk.value, { stream: true });
  }
}

const QUEUED = /^: queued position=\d+( eta_ms=\d+)?$/;

describe('bounded queue (slots 1, max_queue 2, max_user_share 0.5)', () => {
  const open: Pending[] = [];
  afterAll(() => open.forEach((p) => p.abort.abort()));

  it('admits up to the queue bound and the user share, refuses beyond with 429 server_overloaded and Retry-After', async () => {
    const alice = await createApiKey(gw, await registerUser(gw, newUsername(), PASSWORD), { name: 'a' });
    const bob = await createApiKey(gw, await registerUser(gw, newUsername(), PASSWORD), { name: 'b' });
    const track = (p: Pending) => (open.push(p), p);

    // Alice: two streams. One takes the (never served) slot and waits silently; the other is queued behind it and
    // starts its SSE body at once with its place in the queue.
    const a1 = track(chat(alice, true));
    const a2 = track(chat(alice, true));
    const first = await Promise.race([
      a1.response.then((res) => ({ res, serving: a2 })),
      a2.response.then((res) => ({ res, serving: a1 })),
    ]);
    const queuedStream = first.res;
    expect(queuedStream.status).toBe(200);
    expect(queuedStream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(await within(first.serving, 300)).toBeNull();

    // A queued stream is told its place every second, in SSE comments every client ignores.
    const comments = await readComments(queuedStream, /^: queued/, 2, 5000);
    for (const line of comments) expect(line).toMatch(QUEUED);

    // Alice holds 2 of the 3 places (1 slot + 2 queued): her share. Her third request is refused at once.
    const aliceMore = await api('/v1/chat/completions', {
      method: 'POST',
      bearer: alice,
      body: JSON.stringify({ model: 'stories260k', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 }),
    });
    expect(aliceMore.status).toBe(429);
    expect(aliceMore.body.error).toMatchObject({ code: 'server_overloaded', type: 'server_error' });
    expect(aliceMore.body.error.message).toMatch(/most one user may hold/);
    const retryAfter = Number(aliceMore.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(aliceMore.headers.get('retry-after-ms')).toBe(String(retryAfter * 1000));

    // Bob still gets the last place: his stream is queued and says so.
    const b1 = track(chat(bob, true));
    const bobStream = await within(b1, 5000);
    expect(bobStream?.status).toBe(200);
    const [bobComment] = await readComments(bobStream!, /^: queued/, 1, 5000);
    expect(bobComment).toMatch(QUEUED);

    // Now the queue is full: Bob's next request (stream or not) is refused as overloaded.
    const bobMore = await api('/v1/chat/completions', {
      method: 'POST',
      bearer: bob,
      body: JSON.stringify({ model: 'stories260k', messages: [{ role: 'user', content: 'hi' }], stream: true }),
    });
    expect(bobMore.status).toBe(429);
    expect(bobMore.body.error.code).toBe('server_overloaded');
    expect(bobMore.body.error.message).toMatch(/queue is full/);
    expect(Number(bobMore.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);

    // Alice's clients go away: their places are released and a new request of hers is admitted again.
    a1.abort.abort();
    a2.abort.abort();
    const again = await eventually(
      async () => {
        const p = chat(alice, false);
        const res = await within(p, 500);
        if (res === null) return track(p); // admitted: it waits for a worker
        expect(res.status).toBe(429);
        return null;
      },
      5000,
      "Alice's places released",
    );
    expect(await within(again, 0)).toBeNull();

    // Everyone leaves: the whole queue is free again (three admitted: Bob's two, Alice's one).
    open.forEach((p) => p.abort.abort());
    const readmitted = await eventually(
      async () => {
        const batch = [chat(bob, true), chat(bob, true), chat(alice, true)];
        batch.forEach(track);
        const answers = await Promise.all(batch.map((p) => within(p, 500)));
        const refused = answers.filter((r) => r !== null && r.status === 429).length;
        if (refused === 0) return answers;
        batch.forEach((p) => p.abort.abort());
        return null;
      },
      5000,
      'queue released',
    );
    expect(readmitted.filter((r) => r === null)).toHaveLength(1); // the one in the slot waits silently
    open.forEach((p) => p.abort.abort());
  });

  it('a client that gives up gets its reserved tokens back at once (not when the job would have timed out)', async () => {
    // Each request reserves its prompt estimate + max_tokens against the key's tokens per minute: two do not fit.
    const key = await createApiKey(gw, await registerUser(gw, newUsername(), PASSWORD), { name: 't', tpm: 600 });
    const ask = () => {
      const abort = new AbortController();
      const response = fetch(`${gw}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ model: 'stories260k', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 400 }),
        signal: abort.signal,
      });
      response.catch(() => undefined);
      const p = { abort, response };
      open.push(p);
      return p;
    };
    let last = '';
    const admit = () =>
      eventually(
        async () => {
          const p = ask();
          const res = await within(p, 500);
          if (res === null) return p;
          last = `${res.status} ${await res.text()}`;
          expect(res.status).toBe(429);
          return null;
        },
        3000,
        () => `admitted (last answer: ${last})`,
      );
    const first = await admit();
    first.abort.abort();
    const second = await admit();
    second.abort.abort();
  });
});

// ---------------------------------------------------------------------------------------------------------------
// d. A flood of bad credentials (last: it blocks this address for new credentials for a while)
// ---------------------------------------------------------------------------------------------------------------

describe('failed authentications per IP', () => {
  it('a flood of made-up keys gets 429 with Retry-After, while a key already in use keeps working', async () => {
    const good = await createApiKey(gw, platform.adminToken, { name: 'in-use' });
    expect((await api('/v1/models', { bearer: good })).status).toBe(200);

    const results: Call[] = [];
    for (let i = 0; i < 3 * AUTH_FAILURES_PER_IP_PER_MIN; i++) {
      results.push(await api('/v1/models', { bearer: `sk-made-up-${i}-${'0'.repeat(40)}` }));
    }
    const statuses = results.map((r) => r.status);
    // The allowance is spent by the first AUTH_FAILURES_PER_IP_PER_MIN failures; the one that finds it empty is
    // still answered 401 (it was checked), every later one 429 before any lookup.
    expect(statuses.slice(0, AUTH_FAILURES_PER_IP_PER_MIN)).toEqual(Array(AUTH_FAILURES_PER_IP_PER_MIN).fill(401));
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(AUTH_FAILURES_PER_IP_PER_MIN + 1);
    expect(statuses.slice(-AUTH_FAILURES_PER_IP_PER_MIN)).toEqual(Array(AUTH_FAILURES_PER_IP_PER_MIN).fill(429));
    const limited = results.find((r) => r.status === 429)!;
    expect(limited.body.error.code).toBe('rate_limit_exceeded');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);

    // The valid key, already verified here, is not blocked with the address.
    const ok = await api('/v1/models', { bearer: good });
    expect(ok.status).toBe(200);
    expect(ok.body.data.map((m: { id: string }) => m.id)).toContain('stories260k');
  });
});
