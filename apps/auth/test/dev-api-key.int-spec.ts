import { createHash, generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrincipalSchema, SCOPES } from '@llmp/contracts';
import { AuthHarness, startAuth } from './auth-harness';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

describe('the dev API key file (built app, real Postgres and Redis)', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'llmp-dev-key-'));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  describe('in development', () => {
    let auth: AuthHarness;
    let file: string;

    beforeAll(async () => {
      file = join(dir, 'nested', 'dev-api-key');
      auth = await startAuth({ NODE_ENV: 'development', AUTH_DEV_API_KEY_FILE: file, LOG_LEVEL: 'debug' });
    });

    afterAll(async () => {
      await auth?.stop();
    });

    it('writes a working API key of the local admin, readable by its owner only, never logged', async () => {
      const key = readFileSync(file, 'utf8').trim();
      expect(key).toMatch(/^sk-[A-Za-z0-9_-]{43}$/);
      expect(statSync(file).mode & 0o777).toBe(0o600);

      const principal = PrincipalSchema.parse(await auth.call('keyPrincipal', { keyHash: sha256(key) }));
      expect(principal).toMatchObject({ username: 'admin', role: 'admin', models: null, scopes: [...SCOPES] });
      const keys = (await auth.call('listApiKeys', { userId: principal.userId })).data;
      expect(keys.map((k) => [k.name, k.permissions])).toEqual([['dev', 'all']]);
      expect(auth.app.output()).toContain(file);
      expect(auth.app.output()).not.toContain(key.slice(3));
    });

    it('keeps a still valid key at the next start, and replaces a revoked one', async () => {
      const first = readFileSync(file, 'utf8');
      const replica = await auth.startReplica();
      expect(readFileSync(file, 'utf8')).toBe(first);

      const principal = PrincipalSchema.parse(await auth.call('keyPrincipal', { keyHash: sha256(first.trim()) }));
      await auth.call('revokeApiKey', { userId: principal.userId, id: principal.keyId! });
      await replica.stop();
      const next = await auth.startReplica();
      const second = readFileSync(file, 'utf8').trim();
      expect(second).not.toBe(first.trim());
      expect(await auth.call('keyPrincipal', { keyHash: sha256(second) })).toMatchObject({ role: 'admin' });
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(next.output()).not.toContain(second.slice(3));
    });
  });

  it('writes nothing in production, whatever AUTH_DEV_API_KEY_FILE says', async () => {
    const file = join(dir, 'prod-api-key');
    const jwtKey = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const auth = await startAuth({ NODE_ENV: 'production', AUTH_JWT_PRIVATE_KEY: jwtKey, AUTH_DEV_API_KEY_FILE: file });
    try {
      expect(existsSync(file)).toBe(false);
    } finally {
      await auth.stop();
    }
  });
});
