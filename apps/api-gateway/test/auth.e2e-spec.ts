// End-to-end: auth + two gateway replicas as real processes (`npm test` builds dist first).
import { generateKeyPair, importPKCS8, SignJWT } from 'jose';
import { Client } from 'pg';
import OpenAI from 'openai';
import { RunningPlatform, createApiKey, login, registerUser, startPlatform } from '@llmp/testing';

jest.setTimeout(120_000);

// Response bodies are checked field by field below; their static type adds nothing here.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type JsonBody = any;

let platform: RunningPlatform;
let gw1: string;
let gw2: string;

beforeAll(async () => {
  // No inference worker: none of these routes reaches a model.
  platform = await startPlatform({ worker: false, gateways: 2, gatewayEnv: { ANON_IP_RPM: '150' } });
  gw1 = platform.gateways[0]!.url;
  gw2 = platform.gateways[1]!.url;
});

afterAll(async () => {
  await platform?.stop();
});

async function api(url: string, path: string, init: RequestInit & { bearer?: string; apiKey?: string } = {}) {
  const headers: Record<string, string> = { ...(init.headers as Record<string, string>) };
  if (init.body && !headers['content-type']) headers['content-type'] = 'application/json';
  if (init.bearer) headers.authorization = `Bearer ${init.bearer}`;
  if (init.apiKey) headers['x-api-key'] = init.apiKey;
  const res = await fetch(`${url}${path}`, { ...init, headers });
  const text = await res.text();
  let body: JsonBody = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, body, headers: res.headers };
}

async function eventually(check: () => Promise<boolean>, withinMs: number): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < withinMs) {
    if (await check()) return Date.now() - start;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`condition not met within ${withinMs} ms`);
}

let userSeq = 0;
const newUsername = () => `user${Date.now().toString(36)}${userSeq++}`;
const PASSWORD = 'Str0ng-enough-pass';

describe('credentials', () => {
  it('refuses a request without a credential in OpenAI error shape', async () => {
    const res = await api(gw1, '/v1/models');
    expect(res.status).toBe(401);
    expect(res.body.error).toMatchObject({ code: 'invalid_api_key', type: 'invalid_request_error' });
  });

  it('accepts an API key as Bearer (OpenAI SDK) and as X-API-Key', async () => {
    const client = new OpenAI({ baseURL: `${gw1}/v1`, apiKey: platform.apiKey });
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toContain('stories260k');
    const res = await api(gw2, '/v1/models', { apiKey: platform.apiKey });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-ratelimit-limit-requests')).toMatch(/^\d+$/);
    expect(res.headers.get('x-ratelimit-remaining-requests')).toMatch(/^\d+$/);
    expect(res.headers.get('x-ratelimit-reset-requests')).toMatch(/^\d+(ms|s|m\d+s)$/);
  });

  it('rejects an unknown API key', async () => {
    const client = new OpenAI({ baseURL: `${gw1}/v1`, apiKey: 'sk-not-a-real-key-000000000000000000' });
    await expect(client.models.list()).rejects.toMatchObject({ status: 401, code: 'invalid_api_key' });
  });
});

describe('users and tokens', () => {
  it('registers, rejects duplicates (any case) and weak passwords naming the rule', async () => {
    const username = newUsername();
    const created = await api(gw1, '/v1/auth/register', {
      method: 'POST',
      body: JSON.stringify({ username, password: PASSWORD }),
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ username, role: 'user', disabled: false });
    expect(created.body).not.toHaveProperty('password_hash');

    const dup = await api(gw2, '/v1/auth/register', {
      method: 'POST',
      body: JSON.stringify({ username: username.toUpperCase(), password: PASSWORD }),
    });
    expect(dup.status).toBe(409);
    expect(dup.body.error.code).toBe('username_taken');

    const weak = await api(gw1, '/v1/auth/register', {
      method: 'POST',
      body: JSON.stringify({ username: newUsername(), password: 'short' }),
    });
    expect(weak.status).toBe(400);
    expect(weak.body.error.code).toBe('weak_password');
    expect(weak.body.error.message).toMatch(/10/);
  });

  it.each([["robert'); DROP TABLE users;--"], ['x'.repeat(65)], ['a b'], ['']])(
    'rejects the username %j with 400',
    async (username) => {
      const res = await api(gw1, '/v1/auth/register', {
        method: 'POST',
        body: JSON.stringify({ username, password: PASSWORD }),
      });
      expect(res.status).toBe(400);
      expect(res.body.error.param).toBe('username');
    },
  );

  it('logs in with JSON and with the OAuth2 password form, then /me answers', async () => {
    const username = newUsername();
    await registerUser(gw1, username, PASSWORD);
    const form = await api(gw2, '/v1/auth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'password', username, password: PASSWORD }).toString(),
    });
    expect(form.status).toBe(200);
    expect(form.body).toMatchObject({ token_type: 'bearer', expires_in: expect.any(Number) });
    const me = await api(gw1, '/v1/auth/me', { bearer: form.body.access_token });
    expect(me.status).toBe(200);
    expect(me.body.username).toBe(username);
    // The credential's scopes (a user token: everything but admin), so a client can offer only what it may grant.
    expect(me.body.scopes).toContain('model.request');
    expect(me.body.scopes).not.toContain('admin');

    const wrong = await api(gw1, '/v1/auth/token', {
      method: 'POST',
      body: JSON.stringify({ username, password: 'Wrong-password-1' }),
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('invalid_credentials');
  });

  it('rotates refresh tokens and revokes the family when a used one comes back', async () => {
    const username = newUsername();
    await registerUser(gw1, username, PASSWORD);
    const first = await api(gw1, '/v1/auth/token', {
      method: 'POST',
      body: JSON.stringify({ username, password: PASSWORD }),
    });
    const second = await api(gw2, '/v1/auth/refresh', {
      method: 'POST',
      body: JSON.stringify({ refresh_token: first.body.refresh_token }),
    });
    expect(second.status).toBe(200);
    expect(second.body.refresh_token).not.toBe(first.body.refresh_token);
    const reuse = await api(gw1, '/v1/auth/refresh', {
      method: 'POST',
      body: JSON.stringify({ refresh_token: first.body.refresh_token }),
    });
    expect(reuse.status).toBe(401);
    // The whole family is gone: the newer token no longer works either.
    const newer = await api(gw1, '/v1/auth/refresh', {
      method: 'POST',
      body: JSON.stringify({ refresh_token: second.body.refresh_token }),
    });
    expect(newer.status).toBe(401);
  });

  it('throttles repeated failed logins with Retry-After', async () => {
    const username = newUsername();
    await registerUser(gw1, username, PASSWORD);
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 8; i++) {
      const res = await api(i % 2 ? gw1 : gw2, '/v1/auth/token', {
        method: 'POST',
        body: JSON.stringify({ username, password: `Wrong-password-${i}` }),
      });
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers.get('retry-after');
    }
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual([429, 429, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    // Even the right password waits out the back-off.
    const right = await api(gw1, '/v1/auth/token', {
      method: 'POST',
      body: JSON.stringify({ username, password: PASSWORD }),
    });
    expect(right.status).toBe(429);
  });
});

describe('JWT attacks', () => {
  let token: string;
  beforeAll(async () => {
    token = await login(gw1, 'admin', 'Admin-test-Passw0rd!');
  });

  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

  it('accepts the genuine token', async () => {
    expect((await api(gw1, '/v1/auth/me', { bearer: token })).status).toBe(200);
  });

  it('rejects a tampered token', async () => {
    const [h, p, s] = token.split('.');
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString());
    const forged = `${h}.${b64({ ...payload, role: 'admin', sub: payload.sub })}x.${s}`;
    expect((await api(gw1, '/v1/auth/me', { bearer: forged })).status).toBe(401);
    // Flip the signature's first character: its last one carries unused padding bits, and changing those can leave
    // the decoded signature as it was.
    const flipped = `${h}.${p}.${s![0] === 'A' ? 'B' : 'A'}${s!.slice(1)}`;
    expect((await api(gw1, '/v1/auth/me', { bearer: flipped })).status).toBe(401);
  });

  it('rejects alg none', async () => {
    const [h, p] = token.split('.');
    const header = JSON.parse(Buffer.from(h!, 'base64url').toString());
    const none = `${b64({ ...header, alg: 'none' })}.${p}.`;
    expect((await api(gw1, '/v1/auth/me', { bearer: none })).status).toBe(401);
  });

  it('rejects a token signed with another key (same kid) and an HS256 token', async () => {
    const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString());
    const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const wrongKey = await new SignJWT(payload).setProtectedHeader({ alg: 'EdDSA', kid: header.kid }).sign(privateKey);
    expect((await api(gw1, '/v1/auth/me', { bearer: wrongKey })).status).toBe(401);
    const hs = await new SignJWT(payload)
      .setProtectedHeader({ alg: 'HS256', kid: header.kid })
      .sign(new TextEncoder().encode('secret'));
    expect((await api(gw1, '/v1/auth/me', { bearer: hs })).status).toBe(401);
  });

  it('rejects a correctly signed token once it has expired', async () => {
    // Sign with the auth app's own key (generated in dev and kept in its schema), so only the expiry can fail.
    const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString());
    const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
    const db = new Client({ connectionString: platform.databaseUrl });
    await db.connect();
    const { rows } = await db.query('SELECT private_key_pem FROM auth.signing_keys WHERE kid = $1', [header.kid]);
    await db.end();
    const key = await importPKCS8(rows[0].private_key_pem, 'EdDSA');
    const sign = (exp: number) =>
      new SignJWT({ ...payload, exp }).setProtectedHeader({ alg: 'EdDSA', kid: header.kid }).sign(key);
    const now = Math.floor(Date.now() / 1000);
    expect((await api(gw1, '/v1/auth/me', { bearer: await sign(now + 60) })).status).toBe(200);
    const expired = await api(gw1, '/v1/auth/me', { bearer: await sign(now - 60) });
    expect(expired.status).toBe(401);
    expect(expired.body.error.message).toMatch(/expired/);
  });
});

describe('API keys', () => {
  it('shows the secret once, never in lists, and scopes keys to their owner', async () => {
    const aliceToken = await registerUser(gw1, newUsername(), PASSWORD);
    const bobToken = await registerUser(gw1, newUsername(), PASSWORD);
    const created = await api(gw1, '/v1/api-keys', {
      method: 'POST',
      bearer: aliceToken,
      body: JSON.stringify({ name: 'ci' }),
    });
    expect(created.status).toBe(201);
    expect(created.body.key).toMatch(/^sk-/);
    expect(created.body.key.startsWith(created.body.prefix)).toBe(true);

    const list = await api(gw2, '/v1/api-keys', { bearer: aliceToken });
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ object: 'list', has_more: false });
    expect(list.body.data.map((k: { id: string }) => k.id)).toContain(created.body.id);
    expect(JSON.stringify(list.body)).not.toContain(created.body.key);

    const bobList = await api(gw1, '/v1/api-keys', { bearer: bobToken });
    expect(bobList.body.data).toHaveLength(0);
    const steal = await api(gw1, `/v1/api-keys/${created.body.id}`, { method: 'DELETE', bearer: bobToken });
    expect(steal.status).toBe(404);
    const malformed = await api(gw1, '/v1/api-keys/not-a-uuid', { method: 'DELETE', bearer: bobToken });
    expect(malformed.status).toBe(404);
    // Alice's key still works after Bob's attempts.
    expect((await api(gw2, '/v1/models', { bearer: created.body.key })).status).toBe(200);
  });

  it('revocation reaches both replicas within 1 s', async () => {
    const owner = await registerUser(gw1, newUsername(), PASSWORD);
    const created = await api(gw1, '/v1/api-keys', {
      method: 'POST',
      bearer: owner,
      body: JSON.stringify({ name: 'to-revoke' }),
    });
    const key = created.body.key as string;
    // Warm both replicas' caches.
    expect((await api(gw1, '/v1/models', { bearer: key })).status).toBe(200);
    expect((await api(gw2, '/v1/models', { bearer: key })).status).toBe(200);
    const del = await api(gw1, `/v1/api-keys/${created.body.id}`, { method: 'DELETE', bearer: owner });
    expect(del.status).toBe(200);
    const took = await eventually(
      async () =>
        (await api(gw1, '/v1/models', { bearer: key })).status === 401 &&
        (await api(gw2, '/v1/models', { bearer: key })).status === 401,
      1000,
    );
    expect(took).toBeLessThan(1000);
  });

  it('restricts a key to its models', async () => {
    const key = await createApiKey(gw1, platform.adminToken, { name: 'only-tiny', models: ['tinystories-656k'] });
    const models = await api(gw1, '/v1/models', { bearer: key });
    expect(models.body.data.map((m: { id: string }) => m.id)).toEqual(['tinystories-656k']);
    const other = await api(gw2, '/v1/models/stories260k', { bearer: key });
    expect(other.status).toBe(404);
    expect(other.body.error.code).toBe('model_not_found');
  });

  it('refuses an expired key', async () => {
    const key = await createApiKey(gw1, platform.adminToken, {
      name: 'short',
      expires_at: Math.floor(Date.now() / 1000) + 2,
    });
    expect((await api(gw1, '/v1/models', { bearer: key })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 2500));
    const res = await api(gw1, '/v1/models', { bearer: key });
    expect(res.status).toBe(401);
  });
});

describe('admin', () => {
  it('is refused to normal users', async () => {
    const user = await registerUser(gw1, newUsername(), PASSWORD);
    const res = await api(gw1, '/v1/admin/users', { bearer: user });
    expect(res.status).toBe(403);
  });

  it('disabling a user stops their tokens and keys on every replica within 1 s', async () => {
    const username = newUsername();
    const token = await registerUser(gw1, username, PASSWORD);
    const key = await createApiKey(gw1, token, { name: 'k' });
    const me = await api(gw1, '/v1/auth/me', { bearer: token });
    for (const url of [gw1, gw2]) {
      expect((await api(url, '/v1/models', { bearer: key })).status).toBe(200);
      expect((await api(url, '/v1/auth/me', { bearer: token })).status).toBe(200);
    }
    const patch = await api(gw2, `/v1/admin/users/${me.body.id}`, {
      method: 'PATCH',
      bearer: platform.adminToken,
      body: JSON.stringify({ disabled: true }),
    });
    expect(patch.status).toBe(200);
    expect(patch.body.disabled).toBe(true);
    const took = await eventually(async () => {
      const results = await Promise.all(
        [gw1, gw2].flatMap((url) => [
          api(url, '/v1/models', { bearer: key }),
          api(url, '/v1/auth/me', { bearer: token }),
        ]),
      );
      return results.every((r) => r.status === 401);
    }, 1000);
    expect(took).toBeLessThan(1000);
    const list = await api(gw1, '/v1/admin/users?limit=100', { bearer: platform.adminToken });
    expect(list.body.data.find((u: { id: string; disabled: boolean }) => u.id === me.body.id)?.disabled).toBe(true);
  });
});

describe('rate limits across replicas', () => {
  it('a key limited to N requests per minute gets exactly N successes under concurrent load on two replicas', async () => {
    const N = 12;
    const key = await createApiKey(gw1, platform.adminToken, { name: 'limited', rpm: N });
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => api(i % 2 ? gw1 : gw2, '/v1/models', { bearer: key })),
    );
    const ok = results.filter((r) => r.status === 200);
    const limited = results.filter((r) => r.status === 429);
    expect(ok).toHaveLength(N);
    expect(limited).toHaveLength(40 - N);
    const sample = limited[0]!;
    expect(sample.body.error.code).toBe('rate_limit_exceeded');
    expect(Number(sample.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(sample.headers.get('x-ratelimit-remaining-requests')).toBe('0');
  });

  it('limits anonymous routes per IP', async () => {
    // The gateways run with ANON_IP_RPM=150; this burst exceeds it whatever the earlier tests used.
    const results = await Promise.all(
      Array.from({ length: 200 }, () =>
        api(gw1, '/v1/auth/refresh', { method: 'POST', body: JSON.stringify({ refresh_token: 'x'.repeat(20) }) }),
      ),
    );
    expect(results.some((r) => r.status === 429)).toBe(true);
    expect(results.filter((r) => r.status === 429)[0]!.body.error.code).toBe('rate_limit_exceeded');
  });
});
