import { PrincipalSchema, UserViewSchema } from '@llmp/contracts';
import { ADMIN_PASSWORD, AuthHarness, STRONG_PASSWORD, startAuth, uniqueUsername } from './auth-harness';

describe('auth users over RPC (built app, real Postgres and Redis)', () => {
  let auth: AuthHarness;

  beforeAll(async () => {
    auth = await startAuth();
  });

  afterAll(async () => {
    await auth?.stop();
  });

  describe('register', () => {
    it('creates a user with role user and answers its public view', async () => {
      const username = uniqueUsername('Reg.User_');
      const view = await auth.call('register', { username, password: STRONG_PASSWORD, email: 'a@example.com' });
      expect(UserViewSchema.parse(view)).toEqual({
        id: expect.any(String),
        object: 'user',
        username,
        email: 'a@example.com',
        role: 'user',
        disabled: false,
        rpm_limit: null,
        tpm_limit: null,
        monthly_budget: null,
        created_at: expect.any(Number),
      });
      expect(Math.abs(view.created_at - Date.now() / 1000)).toBeLessThan(60);
      expect(view).not.toHaveProperty('password_hash');
      expect(await auth.call('me', { userId: view.id })).toEqual(view);
    });

    it('refuses a username taken in another case with username_taken', async () => {
      const username = uniqueUsername('casey');
      await auth.call('register', { username, password: STRONG_PASSWORD });
      const err = await auth.callError('register', { username: username.toUpperCase(), password: STRONG_PASSWORD });
      expect(err).toMatchObject({ code: 'username_taken', param: 'username' });
    });

    it.each([
      ['short1!A', 'min_length'],
      ['xx-{user}-Secret-1', 'contains_username'],
      ['alllowercaseletters', 'character_classes'],
    ])('refuses the weak password %s naming the rule %s', async (template, rule) => {
      const username = uniqueUsername('weak');
      const password = template.replace('{user}', username);
      const err = await auth.callError('register', { username, password });
      expect(err.code).toBe('weak_password');
      expect(err.param).toBe('password');
      expect(err.message).toContain(rule);
    });

    it.each([
      ['over-long', 'a'.repeat(65)],
      ['SQL-ish', "bob'; DROP TABLE users;--"],
      ['spaces', 'bob smith'],
      ['too short', 'ab'],
    ])('rejects a %s username with invalid_request before anything runs', async (_what, username) => {
      const err = await auth.callError('register', { username, password: STRONG_PASSWORD });
      expect(err).toMatchObject({ code: 'invalid_request', param: 'username' });
    });
  });

  it('created the first admin from AUTH_ADMIN_USERNAME/AUTH_ADMIN_PASSWORD at boot, exactly once', async () => {
    const tokens = await auth.call('issueToken', { username: 'admin', password: ADMIN_PASSWORD, ip: '10.0.0.1' });
    expect(tokens.token_type).toBe('bearer');
    const page = await auth.call('listUsers', { limit: 100 });
    const admins = page.data.filter((u: { role: string }) => u.role === 'admin');
    expect(admins).toHaveLength(1);
    expect(admins[0].username).toBe('admin');
  });

  it('lists users newest first with after/limit cursors', async () => {
    const names = [uniqueUsername('page'), uniqueUsername('page'), uniqueUsername('page')];
    for (const username of names) await auth.call('register', { username, password: STRONG_PASSWORD });
    const first = await auth.call('listUsers', { limit: 2 });
    expect(first).toMatchObject({ object: 'list', has_more: true });
    expect(first.data.map((u: { username: string }) => u.username)).toEqual([names[2], names[1]]);
    expect(first.first_id).toBe(first.data[0].id);
    const second = await auth.call('listUsers', { limit: 2, after: first.last_id! });
    expect(second.data[0].username).toBe(names[0]);
    const all = await auth.call('listUsers', { limit: 100 });
    expect(all.has_more).toBe(false);
  });

  describe('updateUser (admin)', () => {
    it('sets limits that the principal then carries, and pushes user.changed', async () => {
      const user = await auth.call('register', { username: uniqueUsername('lim'), password: STRONG_PASSWORD });
      const before = PrincipalSchema.parse(await auth.call('userPrincipal', { userId: user.id }));
      expect(before.userLimits).toEqual({ rpm: 600, tpm: 1_000_000 });
      const updated = await auth.call('updateUser', { id: user.id, rpm_limit: 7, role: 'admin', monthly_budget: 2.5 });
      expect(updated).toMatchObject({ rpm_limit: 7, tpm_limit: null, role: 'admin', monthly_budget: 2.5 });
      const after = PrincipalSchema.parse(await auth.call('userPrincipal', { userId: user.id }));
      expect(after).toMatchObject({
        role: 'admin',
        userLimits: { rpm: 7, tpm: 1_000_000 },
        keyId: null,
        monthlyBudget: 2.5,
      });
      await auth.waitForEvent((e) => e.type === 'user.changed' && e.userId === user.id);
    });

    it('disabling makes the principal null, ends sessions, refuses login, and pushes user.changed', async () => {
      const username = uniqueUsername('dis');
      const user = await auth.call('register', { username, password: STRONG_PASSWORD });
      const tokens = await auth.call('issueToken', { username, password: STRONG_PASSWORD, ip: '10.0.0.2' });
      expect(await auth.call('userPrincipal', { userId: user.id })).not.toBeNull();

      const view = await auth.call('updateUser', { id: user.id, disabled: true });
      expect(view.disabled).toBe(true);
      expect(await auth.call('userPrincipal', { userId: user.id })).toBeNull();
      await auth.waitForEvent((e) => e.type === 'user.changed' && e.userId === user.id);
      expect(await auth.callError('refreshToken', { refresh_token: tokens.refresh_token })).toMatchObject({
        code: 'invalid_token',
      });
      expect(await auth.callError('issueToken', { username, password: STRONG_PASSWORD, ip: '10.0.0.2' })).toMatchObject(
        { code: 'invalid_credentials' },
      );

      await auth.call('updateUser', { id: user.id, disabled: false });
      expect(await auth.call('userPrincipal', { userId: user.id })).not.toBeNull();
    });

    it('answers not_found for an unknown or malformed id', async () => {
      const unknown = await auth.callError('updateUser', {
        id: '00000000-0000-4000-8000-000000000000',
        disabled: true,
      });
      expect(unknown.code).toBe('not_found');
      expect((await auth.callError('updateUser', { id: 'not-a-uuid', disabled: true })).code).toBe('not_found');
    });

    it('will not disable the last enabled admin', async () => {
      const page = await auth.call('listUsers', { limit: 100 });
      const admins = page.data.filter((u: { role: string; disabled: boolean }) => u.role === 'admin' && !u.disabled);
      for (const extra of admins.filter((u: { username: string }) => u.username !== 'admin')) {
        await auth.call('updateUser', { id: extra.id, role: 'user' });
      }
      const admin = admins.find((u: { username: string }) => u.username === 'admin');
      const err = await auth.callError('updateUser', { id: admin!.id, disabled: true });
      expect(err).toMatchObject({ code: 'invalid_request', param: 'disabled' });
    });
  });

  it('has a null principal and not_found view for an unknown user', async () => {
    const id = '00000000-0000-4000-8000-000000000001';
    expect(await auth.call('userPrincipal', { userId: id })).toBeNull();
    expect((await auth.callError('me', { userId: id })).code).toBe('not_found');
  });
});
