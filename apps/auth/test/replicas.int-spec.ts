import { Client } from 'pg';
import { AuthHarness, STRONG_PASSWORD, startAuth, uniqueUsername } from './auth-harness';

/**
 * The Redis transport delivers every request to every subscribed replica (pub/sub). These check that each request
 * is nevertheless handled exactly once when two replicas run, as they do in k8s/base.
 */
describe('two auth replicas on one Redis', () => {
  let auth: AuthHarness;

  beforeAll(async () => {
    auth = await startAuth();
    await auth.startReplica();
  });

  afterAll(async () => {
    await auth?.stop();
  });

  it('registers once: the caller gets the view, not a username_taken from the other replica', async () => {
    for (let i = 0; i < 10; i++) {
      const username = uniqueUsername('twin');
      await expect(auth.call('register', { username, password: STRONG_PASSWORD })).resolves.toMatchObject({
        username,
      });
    }
  });

  it('rotates a refresh token once per refresh, without a false reuse alarm', async () => {
    const username = uniqueUsername('twin');
    await auth.call('register', { username, password: STRONG_PASSWORD });
    let tokens = await auth.call('issueToken', { username, password: STRONG_PASSWORD, ip: '198.51.100.7' });
    for (let i = 0; i < 10; i++) {
      tokens = await auth.call('refreshToken', { refresh_token: tokens.refresh_token });
    }
    expect(tokens.token_type).toBe('bearer');
  });

  it('creates one API key per request', async () => {
    const user = await auth.call('register', { username: uniqueUsername('twin'), password: STRONG_PASSWORD });
    for (let i = 0; i < 5; i++) await auth.call('createApiKey', { userId: user.id, creatorKeyId: null, name: `k${i}` });
    const db = new Client({ connectionString: auth.dbUrl });
    await db.connect();
    try {
      const { rows } = await db.query<{ n: string }>(`SELECT count(*) AS n FROM "auth"."api_keys" WHERE user_id = $1`, [
        user.id,
      ]);
      expect(Number(rows[0]!.n)).toBe(5);
    } finally {
      await db.end();
    }
  });
});
