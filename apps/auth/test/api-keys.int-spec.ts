import { createHash } from 'node:crypto';
import { ApiKeyCreatedSchema, ApiKeyViewSchema, PrincipalSchema, SCOPES } from '@llmp/contracts';
import { AuthHarness, STRONG_PASSWORD, startAuth, uniqueUsername } from './auth-harness';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

describe('auth API keys over RPC (built app, real Postgres and Redis)', () => {
  let auth: AuthHarness;

  async function newUser(): Promise<{ id: string; username: string }> {
    const username = uniqueUsername('key');
    const view = await auth.call('register', { username, password: STRONG_PASSWORD });
    return { id: view.id, username };
  }

  beforeAll(async () => {
    auth = await startAuth({ AUTH_DEFAULT_KEY_TPM: '5000' });
  });

  afterAll(async () => {
    await auth?.stop();
  });

  it('creates a key whose secret is shown once, and resolves it to a principal by its sha256', async () => {
    const user = await newUser();
    const created = ApiKeyCreatedSchema.parse(
      await auth.call('createApiKey', {
        userId: user.id,
        creatorKeyId: null,
        name: 'ci',
        models: ['stories260K'],
        rpm: 30,
      }),
    );
    expect(created.key).toMatch(/^sk-[A-Za-z0-9_-]{43}$/);
    expect(created.prefix).toBe(created.key.slice(0, 12));
    expect(created).toMatchObject({
      object: 'api_key',
      name: 'ci',
      models: ['stories260K'],
      rpm: 30,
      tpm: null,
      permissions: 'all',
      scopes: SCOPES.filter((s) => s !== 'admin'),
    });
    expect(created.last_used_at).toBeNull();

    const principal = PrincipalSchema.parse(await auth.call('keyPrincipal', { keyHash: sha256(created.key) }));
    expect(principal).toEqual({
      userId: user.id,
      username: user.username,
      role: 'user',
      keyId: created.id,
      models: ['stories260K'],
      keyLimits: { rpm: 30, tpm: 5000 },
      monthlyBudget: null,
      userLimits: { rpm: 600, tpm: 1_000_000 },
      expiresAt: null,
      scopes: SCOPES.filter((s) => s !== 'admin'),
    });

    const [listed] = (await auth.call('listApiKeys', { userId: user.id })).data;
    expect(listed.last_used_at).toEqual(expect.any(Number));
  });

  it('lists only the caller’s live keys, newest first, never with the secret, with cursors', async () => {
    const user = await newUser();
    const other = await newUser();
    await auth.call('createApiKey', { userId: other.id, creatorKeyId: null, name: 'not mine' });
    const keys = [];
    for (const name of ['a', 'b', 'c'])
      keys.push(await auth.call('createApiKey', { userId: user.id, creatorKeyId: null, name }));
    await auth.call('revokeApiKey', { userId: user.id, id: keys[1].id });

    const page = await auth.call('listApiKeys', { userId: user.id, limit: 1 });
    expect(page).toMatchObject({ object: 'list', has_more: true, first_id: keys[2].id, last_id: keys[2].id });
    const rest = await auth.call('listApiKeys', { userId: user.id, limit: 10, after: page.last_id! });
    expect(rest.data.map((k: { name: string }) => k.name)).toEqual(['a']);
    expect(rest.has_more).toBe(false);

    const all = await auth.call('listApiKeys', { userId: user.id });
    expect(all.data.map((k: { name: string }) => k.name)).toEqual(['c', 'a']);
    for (const view of all.data) {
      expect(ApiKeyViewSchema.strict().parse(view)).toBeTruthy();
      expect(JSON.stringify(view)).not.toContain(keys[0].key.slice(12));
    }
  });

  it('revokes a key: its principal becomes null and api_key.revoked is pushed', async () => {
    const user = await newUser();
    const key = await auth.call('createApiKey', { userId: user.id, creatorKeyId: null, name: 'to revoke' });
    expect(await auth.call('keyPrincipal', { keyHash: sha256(key.key) })).not.toBeNull();

    await expect(auth.call('revokeApiKey', { userId: user.id, id: key.id })).resolves.toEqual({
      id: key.id,
      object: 'api_key',
      deleted: true,
    });
    const event = await auth.waitForEvent((e) => e.type === 'api_key.revoked' && e.keyId === key.id);
    expect(event).toEqual({ type: 'api_key.revoked', keyId: key.id, userId: user.id });
    expect(await auth.call('keyPrincipal', { keyHash: sha256(key.key) })).toBeNull();
    expect((await auth.callError('revokeApiKey', { userId: user.id, id: key.id })).code).toBe('not_found');
  });

  it('answers not_found for another user’s key or a malformed id, and the key keeps working', async () => {
    const owner = await newUser();
    const intruder = await newUser();
    const key = await auth.call('createApiKey', { userId: owner.id, creatorKeyId: null, name: 'mine' });
    expect(await auth.callError('revokeApiKey', { userId: intruder.id, id: key.id })).toMatchObject({
      code: 'not_found',
    });
    expect((await auth.callError('revokeApiKey', { userId: owner.id, id: "1' OR '1'='1" })).code).toBe('not_found');
    expect(await auth.call('keyPrincipal', { keyHash: sha256(key.key) })).not.toBeNull();
    expect(auth.events.some((e) => e.type === 'api_key.revoked' && e.keyId === key.id)).toBe(false);
  });

  it('resolves an expired key to null', async () => {
    const user = await newUser();
    const expiresAt = Math.floor(Date.now() / 1000) + 3;
    const key = await auth.call('createApiKey', {
      userId: user.id,
      creatorKeyId: null,
      name: 'short-lived',
      expires_at: expiresAt,
    });
    const principal = await auth.call('keyPrincipal', { keyHash: sha256(key.key) });
    expect(principal?.expiresAt).toBe(expiresAt);
    await new Promise((r) => setTimeout(r, expiresAt * 1000 - Date.now() + 100));
    expect(await auth.call('keyPrincipal', { keyHash: sha256(key.key) })).toBeNull();
  });

  it('resolves an unknown key hash to null and refuses a malformed one', async () => {
    expect(await auth.call('keyPrincipal', { keyHash: sha256('sk-unknown') })).toBeNull();
    expect((await auth.callError('keyPrincipal', { keyHash: 'nothex' })).code).toBe('invalid_request');
  });

  it('refuses an expiry in the past', async () => {
    const user = await newUser();
    const err = await auth.callError('createApiKey', {
      userId: user.id,
      creatorKeyId: null,
      name: 'x',
      expires_at: 1_000_000,
    });
    expect(err).toMatchObject({ code: 'invalid_request', param: 'expires_at' });
  });

  it('has no principal for the keys of a disabled user', async () => {
    const user = await newUser();
    const key = await auth.call('createApiKey', { userId: user.id, creatorKeyId: null, name: 'k' });
    await auth.call('updateUser', { id: user.id, disabled: true });
    expect(await auth.call('keyPrincipal', { keyHash: sha256(key.key) })).toBeNull();
  });
});
