import { Client } from 'pg';
import { RunningApp, TEST_REDIS_URL, createTestDatabase, startApp } from '@llmp/testing';

interface ReadyBody {
  status: string;
  checks: Record<string, { ok: boolean; error?: string }>;
}

describe('rag service (built app, real Postgres and Redis)', () => {
  let db: { url: string; drop: () => Promise<void> };
  let app: RunningApp | undefined;

  beforeAll(async () => {
    db = await createTestDatabase('llmp_rag');
    app = await startApp('rag', { DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL });
  });

  afterAll(async () => {
    await app?.stop();
    await db?.drop();
  });

  it('answers liveness on /health', async () => {
    const res = await fetch(`${app!.url}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('is ready once Postgres and Redis answer', async () => {
    const res = await fetch(`${app!.url}/health/ready`);
    const body = (await res.json()) as ReadyBody;
    expect(res.status).toBe(200);
    expect(body.status).toBe('ready');
    expect(body.checks.postgres?.ok).toBe(true);
    expect(body.checks.redis?.ok).toBe(true);
  });

  it('exposes Prometheus process metrics labelled with its service name', async () => {
    const res = await fetch(`${app!.url}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/^process_cpu_user_seconds_total\{[^}]*service="rag"[^}]*\} \d/m);
  });

  it('ran its migrations into its own schema', async () => {
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      const schema = await client.query('SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', ['rag']);
      expect(schema.rowCount).toBe(1);
      const migrations = await client.query<{ name: string }>('SELECT name FROM "rag"."migrations"');
      expect(migrations.rows.map((r) => r.name)).toEqual([
        'RagBaseline1732300000000',
        'RagTables1733000000000',
        'RagExpiry1734000000000',
      ]);
    } finally {
      await client.end();
    }
  });
});
