import { generateKeyPairSync } from 'node:crypto';
import { decodeProtectedHeader } from 'jose';
import { Client } from 'pg';
import { TEST_REDIS_URL, runToExit } from '@llmp/testing';
import { ADMIN_PASSWORD, AuthHarness, startAuth } from './auth-harness';

interface ReadyBody {
  status: string;
  checks: Record<string, { ok: boolean; error?: string }>;
}

function ed25519Pem(): string {
  return generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

describe('auth service (built app, real Postgres and Redis)', () => {
  let auth: AuthHarness;

  beforeAll(async () => {
    auth = await startAuth();
  });

  afterAll(async () => {
    await auth?.stop();
  });

  it('answers liveness on /health', async () => {
    const res = await fetch(`${auth.app.url}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('is ready once Postgres, Redis, the RPC transport and the usage worker answer', async () => {
    const res = await fetch(`${auth.app.url}/health/ready`);
    const body = (await res.json()) as ReadyBody;
    expect(res.status).toBe(200);
    expect(body.status).toBe('ready');
    expect(body.checks.postgres?.ok).toBe(true);
    expect(body.checks.redis?.ok).toBe(true);
    expect(body.checks.rpc?.ok).toBe(true);
    expect(body.checks['usage-worker']?.ok).toBe(true);
  });

  it('exposes Prometheus process metrics labelled with its service name', async () => {
    const res = await fetch(`${auth.app.url}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/^process_cpu_user_seconds_total\{[^}]*service="auth"[^}]*\} \d/m);
  });

  it('ran its migrations into its own schema', async () => {
    const client = new Client({ connectionString: auth.dbUrl });
    await client.connect();
    try {
      const schema = await client.query('SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', ['auth']);
      expect(schema.rowCount).toBe(1);
      const migrations = await client.query<{ name: string }>('SELECT name FROM "auth"."migrations" ORDER BY id');
      expect(migrations.rows.map((r) => r.name)).toEqual([
        'AuthBaseline1732300000000',
        'AuthTables1732400000000',
        'ApiKeyPermissions1732500000000',
        'CostAndBudgets1732600000000',
      ]);
      const tables = await client.query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'auth' ORDER BY table_name`,
      );
      expect(tables.rows.map((r) => r.table_name)).toEqual([
        'api_keys',
        'migrations',
        'refresh_tokens',
        'signing_keys',
        'usage_records',
        'users',
      ]);
    } finally {
      await client.end();
    }
  });

  it('stores passwords as argon2id hashes only', async () => {
    const client = new Client({ connectionString: auth.dbUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ password_hash: string }>(
        `SELECT password_hash FROM "auth"."users" WHERE username = 'admin'`,
      );
      expect(rows[0]?.password_hash).toMatch(/^\$argon2id\$/);
      expect(rows[0]?.password_hash).not.toContain(ADMIN_PASSWORD);
    } finally {
      await client.end();
    }
  });
});

describe('auth in production mode with its secrets set', () => {
  let auth: AuthHarness;

  beforeAll(async () => {
    auth = await startAuth({
      NODE_ENV: 'production',
      AUTH_JWT_PRIVATE_KEY: ed25519Pem().replace(/\n/g, '\\n'),
      AUTH_JWT_KEY_ID: 'prod-key-1',
      AUTH_JWT_ISSUER: 'https://auth.example.com',
    });
  });

  afterAll(async () => {
    await auth?.stop();
  });

  it('signs with the configured key and publishes only it', async () => {
    const jwks = await auth.call('jwks', {});
    expect(jwks.keys.map((k) => k.kid)).toEqual(['prod-key-1']);
    const tokens = await auth.call('issueToken', { username: 'admin', password: ADMIN_PASSWORD, ip: '203.0.113.9' });
    expect(decodeProtectedHeader(tokens.access_token)).toMatchObject({ alg: 'EdDSA', kid: 'prod-key-1' });
  });
});

describe('auth start-up with bad configuration', () => {
  const entry = 'dist/apps/auth/src/main.js';
  const base = { PORT: '0', LOG_LEVEL: 'warn', REDIS_URL: TEST_REDIS_URL };

  it('exits non-zero and names PORT when PORT is not a number', async () => {
    const { code, output } = await runToExit(entry, { PORT: 'notanumber', LOG_LEVEL: 'warn' });
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(output).toMatch(/PORT/);
  });

  it('exits non-zero and says why when Postgres cannot be reached', async () => {
    const { code, output } = await runToExit(
      entry,
      { ...base, DATABASE_URL: 'postgres://postgres@127.0.0.1:1/x' },
      45000,
    );
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(output).toMatch(/ECONNREFUSED 127\.0\.0\.1:1\b/);
  });

  it('refuses production without AUTH_JWT_PRIVATE_KEY, naming it', async () => {
    const { code, output } = await runToExit(entry, {
      ...base,
      NODE_ENV: 'production',
      AUTH_ADMIN_PASSWORD: 'A-real-admin-secret-9',
    });
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(output).toMatch(/AUTH_JWT_PRIVATE_KEY/);
    expect(output).not.toMatch(/AUTH_ADMIN_PASSWORD/);
  });

  it('refuses production with the default or no AUTH_ADMIN_PASSWORD, naming it', async () => {
    for (const password of ['admin-change-me-123', undefined]) {
      const { code, output } = await runToExit(entry, {
        ...base,
        NODE_ENV: 'production',
        AUTH_JWT_PRIVATE_KEY: ed25519Pem(),
        ...(password ? { AUTH_ADMIN_PASSWORD: password } : {}),
      });
      expect(code).not.toBe(0);
      expect(code).not.toBeNull();
      expect(output).toMatch(/AUTH_ADMIN_PASSWORD/);
      expect(output).not.toMatch(/AUTH_JWT_PRIVATE_KEY/);
    }
  });

  it('refuses a signing key that is not Ed25519, naming AUTH_JWT_PRIVATE_KEY', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    const { code, output } = await runToExit(entry, { ...base, AUTH_JWT_PRIVATE_KEY: rsa });
    expect(code).not.toBe(0);
    expect(output).toMatch(/AUTH_JWT_PRIVATE_KEY: must be an Ed25519 key/);
  });
});
