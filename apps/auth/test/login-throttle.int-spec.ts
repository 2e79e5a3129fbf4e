import { Redis } from 'ioredis';
import { TokenResponseSchema } from '@llmp/contracts';
import { ADMIN_PASSWORD, AuthHarness, STRONG_PASSWORD, startAuth, uniqueUsername } from './auth-harness';

const MAX_PER_PAIR = 5;
const MAX_PER_IP = 12;
const WRONG = 'Wrong-pass-123';

describe('login throttling (built app, real Redis): per (username, address) and per address, atomic', () => {
  let auth: AuthHarness;
  let redis: Redis;
  let ipSeq = 0;
  const newIp = () => `198.51.100.${++ipSeq}`;

  async function newUser(): Promise<string> {
    const username = uniqueUsername('thr');
    await auth.call('register', { username, password: STRONG_PASSWORD });
    return username;
  }

  const attempt = (username: string, password: string, ip: string) =>
    auth.call('issueToken', { username, password, ip }).then(
      (tokens) => ({ code: 'ok', retryAfter: undefined, tokens: TokenResponseSchema.parse(tokens) }),
      (err: { code: string; retryAfter?: number }) => ({ code: err.code, retryAfter: err.retryAfter, tokens: null }),
    );

  const count = (results: { code: string }[]) =>
    results.reduce<Record<string, number>>((acc, r) => ({ ...acc, [r.code]: (acc[r.code] ?? 0) + 1 }), {});

  beforeAll(async () => {
    auth = await startAuth({
      AUTH_LOGIN_MAX_FAILURES: String(MAX_PER_PAIR),
      AUTH_LOGIN_MAX_FAILURES_PER_IP: String(MAX_PER_IP),
    });
    redis = new Redis(auth.redisUrl);
  });

  afterAll(async () => {
    redis?.disconnect();
    await auth?.stop();
  });

  it('lets the victim log in from its own address after 20 failures for its username from other addresses', async () => {
    const victim = await newUser();
    const attackers = [newIp(), newIp(), newIp(), newIp()];
    const results = [];
    for (let i = 0; i < 20; i++) results.push(await attempt(victim, WRONG, attackers[i % attackers.length]!));
    // Each attacker address spent its own 5 tries on the pair and was then locked out of it.
    expect(count(results)).toEqual({ invalid_credentials: 20 });
    expect((await attempt(victim, STRONG_PASSWORD, attackers[0]!)).code).toBe('too_many_attempts');

    const own = await attempt(victim, STRONG_PASSWORD, newIp());
    expect(own.code).toBe('ok');
    expect(own.tokens?.token_type).toBe('bearer');
  });

  it('cannot lock admin out either, even from one address hammering it', async () => {
    const attacker = newIp();
    const results = [];
    for (let i = 0; i < 20; i++) results.push(await attempt('admin', WRONG, attacker));
    expect(count(results)).toEqual({ invalid_credentials: MAX_PER_PAIR, too_many_attempts: 20 - MAX_PER_PAIR });
    expect((await attempt('ADMIN', ADMIN_PASSWORD, newIp())).code).toBe('ok');
  });

  it('cuts a parallel burst of 20 bad logins from one address at exactly the limit', async () => {
    const user = await newUser();
    const ip = newIp();
    const results = await Promise.all(Array.from({ length: 20 }, () => attempt(user, WRONG, ip)));
    expect(count(results)).toEqual({ invalid_credentials: MAX_PER_PAIR, too_many_attempts: 20 - MAX_PER_PAIR });

    // Locked for 30 s from that address, with the right password too; Retry-After says so.
    const refused = await attempt(user, STRONG_PASSWORD, ip);
    expect(refused.code).toBe('too_many_attempts');
    expect(refused.retryAfter).toBeGreaterThan(25);
    expect(refused.retryAfter).toBeLessThanOrEqual(30);
  });

  it('cuts a parallel burst across many usernames at exactly the per-address limit', async () => {
    const ip = newIp();
    const results = await Promise.all(Array.from({ length: 20 }, () => attempt(uniqueUsername('spray'), WRONG, ip)));
    expect(count(results)).toEqual({ invalid_credentials: MAX_PER_IP, too_many_attempts: 20 - MAX_PER_IP });

    const user = await newUser();
    expect((await attempt(user, STRONG_PASSWORD, ip)).code).toBe('too_many_attempts');
    expect((await attempt(user, STRONG_PASSWORD, newIp())).code).toBe('ok');
  });

  it('counts only failures per address: successful logins there spend none of its budget', async () => {
    const ip = newIp();
    const user = await newUser();
    for (let i = 0; i < MAX_PER_IP - 1; i++) {
      expect((await attempt(uniqueUsername('spray'), WRONG, ip)).code).toBe('invalid_credentials');
    }
    for (let i = 0; i < 5; i++) expect((await attempt(user, STRONG_PASSWORD, ip)).code).toBe('ok');
    // The 12th failure locks the address, for every username.
    expect((await attempt(uniqueUsername('spray'), WRONG, ip)).code).toBe('invalid_credentials');
    expect((await attempt(user, STRONG_PASSWORD, ip)).code).toBe('too_many_attempts');
  });

  it('forgets the failures of a pair after a successful login from that address', async () => {
    const user = await newUser();
    const ip = newIp();
    // Two rounds: 8 failures stay under the address's own limit, which a success does not reset.
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < MAX_PER_PAIR - 1; i++)
        expect((await attempt(user, WRONG, ip)).code).toBe('invalid_credentials');
      expect((await attempt(user, STRONG_PASSWORD, ip)).code).toBe('ok');
    }
  });

  it('doubles the lock-out with each failure after it ends', async () => {
    const user = await newUser();
    const ip = newIp();
    for (let i = 0; i < MAX_PER_PAIR; i++) await attempt(user, WRONG, ip);
    const lockKey = `${auth.prefix}:auth:login:lock:pair:${ip}|${user.toLowerCase()}`;
    expect(await redis.pttl(lockKey)).toBeGreaterThan(25_000);
    const retryAfters = [];
    for (let i = 0; i < 3; i++) {
      await redis.pexpire(lockKey, 1); // the lock-out ends (time passes)
      await new Promise((r) => setTimeout(r, 10));
      expect((await attempt(user, WRONG, ip)).code).toBe('invalid_credentials');
      retryAfters.push((await attempt(user, STRONG_PASSWORD, ip)).retryAfter);
    }
    expect(retryAfters.map((s) => Math.round((s ?? 0) / 10) * 10)).toEqual([60, 120, 240]);
  });
});
