// End-to-end: the per-service database roles of docker-compose.yml and k8s (infra/docker/postgres/service-roles.sql)
// on a throw-away database of the real Postgres. auth, chat-history and rag start as real processes, each connected
// as its own role, and migrate their schemas; no role can read another service's schema.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { REPO_ROOT, RunningApp, TEST_ADMIN, createQueuePrefix, createTestDatabase, startApp } from '@llmp/testing';

jest.setTimeout(180_000);

const SQL = resolve(REPO_ROOT, 'infra/docker/postgres/service-roles.sql');
const K8S_SQL = resolve(REPO_ROOT, 'k8s/base/config/service-roles.sql');
const PASSWORDS = {
  AUTH_DB_PASSWORD: 'auth-role-Passw0rd',
  CHAT_HISTORY_DB_PASSWORD: 'chat-history-role-Passw0rd',
  RAG_DB_PASSWORD: 'rag-role-Passw0rd',
};
const ROLES = { auth: 'llmp_auth', chat_history: 'llmp_chat_history', rag: 'llmp_rag' } as const;

let db: { url: string; drop: () => Promise<void> };
let prefix: { prefix: string; cleanup: () => Promise<void> };
let vectorsDir: string;
const apps: RunningApp[] = [];

/** Runs the roles script as the superuser on the test database, as the compose init and the k8s Job do. */
function runRolesScript(env: Record<string, string> = PASSWORDS) {
  return spawnSync('psql', [db.url, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', SQL], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
  });
}

/** The test database's URL for `role`. */
function urlAs(role: string, password: string): string {
  const url = new URL(db.url);
  url.username = role;
  url.password = password;
  return url.toString();
}

async function queryAs(role: string, password: string, sql: string): Promise<{ rows?: unknown[]; code?: string }> {
  const client = new Client({ connectionString: urlAs(role, password) });
  await client.connect();
  try {
    return { rows: (await client.query(sql)).rows };
  } catch (err) {
    return { code: (err as { code?: string }).code };
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  db = await createTestDatabase();
  prefix = createQueuePrefix();
  vectorsDir = mkdtempSync(join(tmpdir(), 'llmp-vectors-'));
});

afterAll(async () => {
  await Promise.all(apps.map((a) => a.stop()));
  await prefix?.cleanup();
  await db?.drop();
  rmSync(vectorsDir, { recursive: true, force: true });
});

describe('per-service database roles', () => {
  it('ships the same script to docker compose and to k8s', () => {
    expect(readFileSync(K8S_SQL, 'utf8')).toBe(readFileSync(SQL, 'utf8'));
  });

  it('refuses to run without the role passwords, naming the variable', () => {
    const res = runRolesScript({ AUTH_DB_PASSWORD: 'x', RAG_DB_PASSWORD: 'y' });
    expect(res.status).not.toBe(0);
    expect(res.stderr).toContain('CHAT_HISTORY_DB_PASSWORD is not set');
  });

  it('lets each service migrate its own schema as its own role, and read no other', async () => {
    const first = runRolesScript();
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);

    const common = { QUEUE_PREFIX: prefix.prefix, VECTOR_STORE_DIR: vectorsDir, LOG_LEVEL: 'warn' };
    apps.push(
      await startApp(
        'auth',
        {
          ...common,
          DATABASE_URL: urlAs(ROLES.auth, PASSWORDS.AUTH_DB_PASSWORD),
          AUTH_ADMIN_USERNAME: TEST_ADMIN.username,
          AUTH_ADMIN_PASSWORD: TEST_ADMIN.password,
        },
        { readyPath: '/health/ready' },
      ),
    );
    apps.push(
      await startApp(
        'chat-history',
        { ...common, DATABASE_URL: urlAs(ROLES.chat_history, PASSWORDS.CHAT_HISTORY_DB_PASSWORD) },
        { readyPath: '/health/ready' },
      ),
    );
    apps.push(
      await startApp(
        'rag',
        { ...common, DATABASE_URL: urlAs(ROLES.rag, PASSWORDS.RAG_DB_PASSWORD) },
        { readyPath: '/health/ready' },
      ),
    );

    // Every table the migrations made belongs to the schema's role.
    const admin = new Client({ connectionString: db.url });
    await admin.connect();
    const { rows } = await admin.query<{ schemaname: string; tableowner: string; n: string }>(
      `SELECT schemaname, tableowner, count(*) AS n FROM pg_tables
        WHERE schemaname IN ('auth', 'chat_history', 'rag') GROUP BY 1, 2 ORDER BY 1`,
    );
    await admin.end();
    expect(rows.map((r) => [r.schemaname, r.tableowner])).toEqual([
      ['auth', ROLES.auth],
      ['chat_history', ROLES.chat_history],
      ['rag', ROLES.rag],
    ]);

    // The JWT signing key (written by auth at its first start) is readable by auth's role only.
    const own = await queryAs(
      ROLES.auth,
      PASSWORDS.AUTH_DB_PASSWORD,
      'SELECT count(*)::int AS n FROM auth.signing_keys',
    );
    expect(own.rows).toEqual([{ n: 1 }]);
    for (const [role, password] of [
      [ROLES.chat_history, PASSWORDS.CHAT_HISTORY_DB_PASSWORD],
      [ROLES.rag, PASSWORDS.RAG_DB_PASSWORD],
    ] as const) {
      expect(await queryAs(role, password, 'SELECT * FROM auth.signing_keys')).toEqual({ code: '42501' });
      expect(await queryAs(role, password, 'SELECT * FROM auth.users')).toEqual({ code: '42501' });
    }
    expect(await queryAs(ROLES.auth, PASSWORDS.AUTH_DB_PASSWORD, 'SELECT * FROM chat_history.conversations')).toEqual({
      code: '42501',
    });
    expect(await queryAs(ROLES.rag, PASSWORDS.RAG_DB_PASSWORD, 'SELECT * FROM chat_history.conversations')).toEqual({
      code: '42501',
    });
    // A role cannot take a schema name that another service owns, nor grant itself into one.
    expect(await queryAs(ROLES.rag, PASSWORDS.RAG_DB_PASSWORD, 'ALTER SCHEMA auth OWNER TO llmp_rag')).toEqual({
      code: '42501',
    });

    // Running it again (a password rotation) keeps all of it working.
    const again = runRolesScript();
    expect(again.status).toBe(0);
    const restarted = apps.shift()!;
    await restarted.stop();
    apps.unshift(
      await startApp(
        'auth',
        {
          ...common,
          DATABASE_URL: urlAs(ROLES.auth, PASSWORDS.AUTH_DB_PASSWORD),
          AUTH_ADMIN_USERNAME: TEST_ADMIN.username,
          AUTH_ADMIN_PASSWORD: TEST_ADMIN.password,
        },
        { readyPath: '/health/ready' },
      ),
    );
  });
});
