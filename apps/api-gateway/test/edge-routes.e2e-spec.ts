// End-to-end: every route the gateway serves under /v1 with a narrow key (the scope it needs, and nothing more),
// against the edge suites' platform (see support/edge-fixtures.ts).
import { SCOPES, Scope } from '@llmp/contracts';
import { createApiKey, registerUser } from '@llmp/testing';
import { Call, PASSWORD, api, edge, newAdminUser, newUsername, useEdgePlatform } from './support/edge-fixtures';

jest.setTimeout(120_000);

useEdgePlatform();

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
      await registerUser(edge.gw, username, PASSWORD);
      return { username, password: PASSWORD };
    },
  },
  {
    route: 'POST /v1/auth/refresh',
    need: 'public',
    path: '/v1/auth/refresh',
    body: async () => {
      const username = newUsername();
      await registerUser(edge.gw, username, PASSWORD);
      const tokens = await api('/v1/auth/token', {
        method: 'POST',
        body: JSON.stringify({ username, password: PASSWORD }),
      });
      return { refresh_token: tokens.body.refresh_token };
    },
  },
  // Files and vector stores (the rag service answers 404 for the unknown ids; the upload without a form is a 400).
  // Creating a batch also needs files.read and files.write (checked once the body is valid: this one is not).
  { route: 'POST /v1/batches', need: 'model.request', path: '/v1/batches', body: {} },
  { route: 'GET /v1/batches', need: 'model.request', path: '/v1/batches' },
  { route: 'GET /v1/batches/{id}', need: 'model.request', path: '/v1/batches/batch_nope' },
  { route: 'POST /v1/batches/{id}/cancel', need: 'model.request', path: '/v1/batches/batch_nope/cancel', body: {} },
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
        await createApiKey(edge.gw, owner, { name: `no-${scope}`, permissions: 'restricted', scopes: others }),
      );
      only.set(
        scope,
        await createApiKey(edge.gw, owner, { name: `only-${scope}`, permissions: 'restricted', scopes: [scope] }),
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
