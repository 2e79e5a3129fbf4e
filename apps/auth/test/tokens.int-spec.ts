import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { TokenResponseSchema } from '@llmp/contracts';
import { AuthHarness, STRONG_PASSWORD, startAuth, uniqueUsername } from './auth-harness';

describe('auth tokens over RPC (built app, real Postgres and Redis)', () => {
  let auth: AuthHarness;
  let ipSeq = 0;
  const newIp = () => `192.0.2.${++ipSeq}`;

  async function newUser(): Promise<{ id: string; username: string }> {
    const username = uniqueUsername('tok');
    const view = await auth.call('register', { username, password: STRONG_PASSWORD });
    return { id: view.id, username };
  }

  async function login(username: string) {
    return TokenResponseSchema.parse(
      await auth.call('issueToken', { username, password: STRONG_PASSWORD, ip: newIp() }),
    );
  }

  beforeAll(async () => {
    auth = await startAuth({
      AUTH_LOGIN_MAX_FAILURES: '3',
      AUTH_LOGIN_MAX_FAILURES_PER_IP: '3',
      AUTH_ACCESS_TOKEN_TTL_S: '600',
    });
  });

  afterAll(async () => {
    await auth?.stop();
  });

  it('issues an EdDSA access token that verifies against the JWKS with issuer, audience and kid', async () => {
    const user = await newUser();
    const tokens = await login(user.username);
    expect(tokens).toMatchObject({ token_type: 'bearer', expires_in: 600 });
    expect(tokens.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const jwks = await auth.call('jwks', {});
    expect(jwks.keys.length).toBeGreaterThan(0);
    for (const key of jwks.keys) {
      expect(key).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig', kid: expect.any(String) });
      expect(key).not.toHaveProperty('d');
    }
    const header = decodeProtectedHeader(tokens.access_token);
    expect(header.alg).toBe('EdDSA');
    expect(jwks.keys.map((k) => k.kid)).toContain(header.kid);

    const { payload } = await jwtVerify(tokens.access_token, createLocalJWKSet(jwks), {
      issuer: 'llmp-auth',
      audience: 'llmp',
      algorithms: ['EdDSA'],
    });
    expect(payload).toMatchObject({ sub: user.id, role: 'user', name: user.username });
    expect(payload.exp! - payload.iat!).toBe(600);
  });

  it('refuses a wrong password and an unknown user with the same invalid_credentials answer', async () => {
    const user = await newUser();
    const wrong = await auth.callError('issueToken', {
      username: user.username,
      password: 'Wrong-pass-123',
      ip: newIp(),
    });
    const unknown = await auth.callError('issueToken', {
      username: uniqueUsername('ghost'),
      password: 'Wrong-pass-123',
      ip: newIp(),
    });
    expect(wrong).toMatchObject({ code: 'invalid_credentials', param: null });
    expect(unknown).toEqual(wrong);
  });

  it('logs in case-insensitively', async () => {
    const user = await newUser();
    await expect(login(user.username.toUpperCase())).resolves.toMatchObject({ token_type: 'bearer' });
  });

  it('refuses logins with too_many_attempts and retryAfter after N failures, even with the right password', async () => {
    const user = await newUser();
    const ip = newIp();
    for (let i = 0; i < 3; i++) {
      const err = await auth.callError('issueToken', { username: user.username, password: 'Wrong-pass-123', ip });
      expect(err.code).toBe('invalid_credentials');
    }
    const refused = await auth.callError('issueToken', { username: user.username, password: STRONG_PASSWORD, ip });
    expect(refused.code).toBe('too_many_attempts');
    expect(refused.retryAfter).toBeGreaterThan(0);
    expect(refused.retryAfter).toBeLessThanOrEqual(30);
    // Per (username, address) pair: the owner still logs in from another address.
    await expect(login(user.username)).resolves.toMatchObject({ token_type: 'bearer' });
  });

  it('counts failures per IP across usernames', async () => {
    const ip = newIp();
    for (let i = 0; i < 3; i++) {
      await auth.callError('issueToken', { username: uniqueUsername('spray'), password: 'Wrong-pass-123', ip });
    }
    const user = await newUser();
    const err = await auth.callError('issueToken', { username: user.username, password: STRONG_PASSWORD, ip });
    expect(err.code).toBe('too_many_attempts');
  });

  it('forgets earlier failures of a username after a successful login', async () => {
    const user = await newUser();
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 2; i++) {
        await auth.callError('issueToken', { username: user.username, password: 'Wrong-pass-123', ip: newIp() });
      }
      await expect(login(user.username)).resolves.toMatchObject({ token_type: 'bearer' });
    }
  });

  it('rotates refresh tokens: a refresh answers a new pair and the next refresh uses the new token', async () => {
    const user = await newUser();
    const first = await login(user.username);
    const second = TokenResponseSchema.parse(await auth.call('refreshToken', { refresh_token: first.refresh_token }));
    expect(second.refresh_token).not.toBe(first.refresh_token);
    const { payload } = await jwtVerify(second.access_token, createLocalJWKSet(await auth.call('jwks', {})), {
      issuer: 'llmp-auth',
      audience: 'llmp',
    });
    expect(payload.sub).toBe(user.id);
    const third = TokenResponseSchema.parse(await auth.call('refreshToken', { refresh_token: second.refresh_token }));
    expect(third.refresh_token).not.toBe(second.refresh_token);
  });

  it('detects reuse of a rotated refresh token and revokes the whole family', async () => {
    const user = await newUser();
    const first = await login(user.username);
    const other = await login(user.username); // another login: its own family, not affected
    const second = await auth.call('refreshToken', { refresh_token: first.refresh_token });

    const reuse = await auth.callError('refreshToken', { refresh_token: first.refresh_token });
    expect(reuse.code).toBe('invalid_token');
    expect(reuse.message).toMatch(/reuse/i);
    // The newer token of the same family no longer works either.
    expect((await auth.callError('refreshToken', { refresh_token: second.refresh_token })).code).toBe('invalid_token');
    await expect(auth.call('refreshToken', { refresh_token: other.refresh_token })).resolves.toMatchObject({
      token_type: 'bearer',
    });
  });

  it('answers invalid_token for an unknown refresh token', async () => {
    const err = await auth.callError('refreshToken', { refresh_token: 'A'.repeat(43) });
    expect(err).toMatchObject({ code: 'invalid_token', param: 'refresh_token' });
  });

  it('logs out: the family is revoked, and only the owner can revoke it', async () => {
    const user = await newUser();
    const stranger = await newUser();
    const tokens = await login(user.username);
    const notYours = await auth.callError('revokeToken', { refresh_token: tokens.refresh_token, userId: stranger.id });
    expect(notYours.code).toBe('not_found');

    await expect(auth.call('revokeToken', { refresh_token: tokens.refresh_token, userId: user.id })).resolves.toEqual({
      revoked: true,
    });
    expect((await auth.callError('refreshToken', { refresh_token: tokens.refresh_token })).code).toBe('invalid_token');
  });

  it('answers invalid_request naming the field for a malformed request', async () => {
    const err = await auth.callError('issueToken', { username: 'someone', ip: newIp() });
    expect(err).toMatchObject({ code: 'invalid_request', param: 'password' });
  });
});
