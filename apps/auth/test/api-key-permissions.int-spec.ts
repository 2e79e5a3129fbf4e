import { createHash } from 'node:crypto';
import { Client } from 'pg';
import { ApiKeyCreated, ApiKeyViewSchema, PrincipalSchema, READ_ONLY_SCOPES, SCOPES, Scope } from '@llmp/contracts';
import { AuthHarness, STRONG_PASSWORD, startAuth, uniqueUsername } from './auth-harness';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const USER_SCOPES = SCOPES.filter((s) => s !== 'admin');

describe('API key permissions over RPC (built app, real Postgres and Redis)', () => {
  let auth: AuthHarness;

  async function newUser(): Promise<string> {
    return (await auth.call('register', { username: uniqueUsername('perm'), password: STRONG_PASSWORD })).id;
  }

  async function scopesOf(key: ApiKeyCreated): Promise<Scope[]> {
    return PrincipalSchema.parse(await auth.call('keyPrincipal', { keyHash: sha256(key.key) })).scopes;
  }

  beforeAll(async () => {
    auth = await startAuth({ AUTH_DEFAULT_KEY_TPM: '5000' });
  });

  afterAll(async () => {
    await auth?.stop();
  });

  describe('principal scopes', () => {
    it('gives each permission kind its scopes, and shows them on the key', async () => {
      const userId = await newUser();
      const all = await auth.call('createApiKey', { userId, creatorKeyId: null, name: 'all' });
      const readOnly = await auth.call('createApiKey', {
        userId,
        creatorKeyId: null,
        name: 'ro',
        permissions: 'read_only',
      });
      const restricted = await auth.call('createApiKey', {
        userId,
        creatorKeyId: null,
        name: 'chat only',
        permissions: 'restricted',
        scopes: ['model.request', 'models.read'],
      });
      expect(await scopesOf(all)).toEqual(USER_SCOPES);
      expect(await scopesOf(readOnly)).toEqual(READ_ONLY_SCOPES);
      expect(await scopesOf(restricted)).toEqual(['models.read', 'model.request']);
      expect(PrincipalSchema.parse(await auth.call('userPrincipal', { userId })).scopes).toEqual(USER_SCOPES);

      const views = (await auth.call('listApiKeys', { userId })).data.map((v) => ApiKeyViewSchema.strict().parse(v));
      expect(views.map((v) => [v.name, v.permissions, v.scopes])).toEqual([
        ['chat only', 'restricted', ['models.read', 'model.request']],
        ['ro', 'read_only', READ_ONLY_SCOPES],
        ['all', 'all', USER_SCOPES],
      ]);
    });

    it('gives admin to admins’ tokens and keys only, and takes it back when the user is demoted', async () => {
      const userId = await newUser();
      const refused = await auth.callError('createApiKey', {
        userId,
        creatorKeyId: null,
        name: 'x',
        permissions: 'restricted',
        scopes: ['admin'],
      });
      expect(refused).toMatchObject({ code: 'permission_denied', param: 'scopes' });

      await auth.call('updateUser', { id: userId, role: 'admin' });
      expect(PrincipalSchema.parse(await auth.call('userPrincipal', { userId })).scopes).toEqual([...SCOPES]);
      const all = await auth.call('createApiKey', { userId, creatorKeyId: null, name: 'all' });
      const adminOnly = await auth.call('createApiKey', {
        userId,
        creatorKeyId: null,
        name: 'admin only',
        permissions: 'restricted',
        scopes: ['admin'],
      });
      expect(await scopesOf(all)).toEqual([...SCOPES]);
      expect(await scopesOf(adminOnly)).toEqual(['admin']);

      await auth.call('updateUser', { id: userId, role: 'user' });
      expect(await scopesOf(all)).toEqual(USER_SCOPES);
      expect(await scopesOf(adminOnly)).toEqual([]);
    });

    it('answers invalid_request naming scopes when they do not go with the permissions', async () => {
      const userId = await newUser();
      const missing = await auth.callError('createApiKey', {
        userId,
        creatorKeyId: null,
        name: 'x',
        permissions: 'restricted',
      });
      expect(missing).toMatchObject({ code: 'invalid_request', param: 'scopes' });
      const extra = await auth.callError('createApiKey', {
        userId,
        creatorKeyId: null,
        name: 'x',
        scopes: ['models.read'],
      });
      expect(extra).toMatchObject({ code: 'invalid_request', param: 'scopes' });
      const unknown = await auth.callError('createApiKey', {
        userId,
        creatorKeyId: null,
        name: 'x',
        permissions: 'restricted',
        scopes: ['everything'],
      });
      expect(unknown).toMatchObject({ code: 'invalid_request', param: 'scopes[0]' });
    });

    it('treats keys stored before permissions existed as `all`', async () => {
      const userId = await newUser();
      const db = new Client({ connectionString: auth.dbUrl });
      await db.connect();
      const secret = `sk-legacy${Date.now()}`;
      try {
        await db.query(
          `INSERT INTO "auth"."api_keys" ("user_id", "name", "prefix", "key_hash") VALUES ($1, $2, $3, $4)`,
          [userId, 'legacy', secret.slice(0, 12), sha256(secret)],
        );
      } finally {
        await db.end();
      }
      const principal = PrincipalSchema.parse(await auth.call('keyPrincipal', { keyHash: sha256(secret) }));
      expect(principal.scopes).toEqual(USER_SCOPES);
    });
  });

  describe('a key creating a key', () => {
    it('restricts the new key to the creator’s models, or refuses more', async () => {
      const userId = await newUser();
      const narrow = await auth.call('createApiKey', { userId, creatorKeyId: null, name: 'one model', models: ['m1'] });

      const child = await auth.call('createApiKey', { userId, creatorKeyId: narrow.id, name: 'child' });
      expect(child.models).toEqual(['m1']);
      expect(PrincipalSchema.parse(await auth.call('keyPrincipal', { keyHash: sha256(child.key) })).models).toEqual([
        'm1',
      ]);

      const more = await auth.callError('createApiKey', {
        userId,
        creatorKeyId: narrow.id,
        name: 'more',
        models: ['m1', 'm2'],
      });
      expect(more).toMatchObject({ code: 'permission_denied', param: 'models' });
      expect(more.message).toContain("'m2'");
      const every = await auth.callError('createApiKey', {
        userId,
        creatorKeyId: narrow.id,
        name: 'every',
        models: null,
      });
      expect(every).toMatchObject({ code: 'permission_denied', param: 'models' });
    });

    it('refuses a read_only key: creating keys needs api_keys.write', async () => {
      const userId = await newUser();
      const readOnly = await auth.call('createApiKey', {
        userId,
        creatorKeyId: null,
        name: 'ro',
        permissions: 'read_only',
      });
      for (const permissions of ['read_only', 'all'] as const) {
        const err = await auth.callError('createApiKey', { userId, creatorKeyId: readOnly.id, name: 'x', permissions });
        expect(err.code).toBe('permission_denied');
        expect(err.message).toContain('api_keys.write');
      }
      expect((await auth.call('listApiKeys', { userId })).data).toHaveLength(1);
    });

    it('keeps the new key’s scopes within the creator’s', async () => {
      const userId = await newUser();
      const creator = await auth.call('createApiKey', {
        userId,
        creatorKeyId: null,
        name: 'key maker',
        permissions: 'restricted',
        scopes: ['models.read', 'model.request', 'api_keys.write'],
      });
      const asAll = await auth.callError('createApiKey', { userId, creatorKeyId: creator.id, name: 'x' });
      expect(asAll).toMatchObject({ code: 'permission_denied', param: 'permissions' });
      const wider = await auth.callError('createApiKey', {
        userId,
        creatorKeyId: creator.id,
        name: 'x',
        permissions: 'restricted',
        scopes: ['model.request', 'conversations.write'],
      });
      expect(wider).toMatchObject({ code: 'permission_denied', param: 'scopes' });
      expect(wider.message).toContain("'conversations.write'");

      const narrower = await auth.call('createApiKey', {
        userId,
        creatorKeyId: creator.id,
        name: 'requests only',
        permissions: 'restricted',
        scopes: ['model.request'],
      });
      expect(await scopesOf(narrower)).toEqual(['model.request']);
      // A key with `all` may create any key its user could.
      const all = await auth.call('createApiKey', { userId, creatorKeyId: null, name: 'all' });
      const child = await auth.call('createApiKey', { userId, creatorKeyId: all.id, name: 'child' });
      expect(await scopesOf(child)).toEqual(USER_SCOPES);
    });

    it('inherits or lowers the creator’s limits and expiry, and refuses higher or later ones', async () => {
      const userId = await newUser();
      const expiresAt = Math.floor(Date.now() / 1000) + 3600;
      const creator = await auth.call('createApiKey', {
        userId,
        creatorKeyId: null,
        name: 'limited',
        rpm: 10,
        expires_at: expiresAt,
      });
      const child = await auth.call('createApiKey', { userId, creatorKeyId: creator.id, name: 'child', rpm: 5 });
      // tpm: the creator's effective limit (AUTH_DEFAULT_KEY_TPM).
      expect(child).toMatchObject({ rpm: 5, tpm: 5000, expires_at: expiresAt });

      for (const [field, value] of [
        ['rpm', 11],
        ['rpm', null],
        ['tpm', 5001],
        ['expires_at', expiresAt + 60],
        ['expires_at', null],
      ] as const) {
        const err = await auth.callError('createApiKey', {
          userId,
          creatorKeyId: creator.id,
          name: 'x',
          [field]: value,
        });
        expect(err).toMatchObject({ code: 'permission_denied', param: field });
      }
    });

    it('refuses a creator key that is revoked or another user’s', async () => {
      const userId = await newUser();
      const other = await newUser();
      const theirs = await auth.call('createApiKey', { userId: other, creatorKeyId: null, name: 'theirs' });
      const err = await auth.callError('createApiKey', { userId, creatorKeyId: theirs.id, name: 'x' });
      expect(err.code).toBe('permission_denied');

      const mine = await auth.call('createApiKey', { userId, creatorKeyId: null, name: 'mine' });
      await auth.call('revokeApiKey', { userId, id: mine.id });
      expect((await auth.callError('createApiKey', { userId, creatorKeyId: mine.id, name: 'x' })).code).toBe(
        'permission_denied',
      );
    });

    it('refuses a request without creatorKeyId, so a caller cannot skip the check by omission', async () => {
      const userId = await newUser();
      const err = await auth.callError('createApiKey', { userId, name: 'x' });
      expect(err).toMatchObject({ code: 'invalid_request', param: 'creatorKeyId' });
    });
  });
});
