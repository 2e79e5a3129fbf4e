import { Client } from 'pg';

/**
 * Creates the database (if the server lets us) and the service's schema before TypeORM runs migrations, so a
 * fresh Postgres needs no manual step. Several services may race here; "already exists" is success.
 */
export async function ensureDatabaseAndSchema(databaseUrl: string, schema: string): Promise<void> {
  const url = new URL(databaseUrl);
  const dbName = decodeURIComponent(url.pathname.replace(/^\//, ''));
  const admin = new URL(databaseUrl);
  admin.pathname = '/postgres';
  const adminClient = new Client({ connectionString: admin.toString() });
  try {
    await adminClient.connect();
    const exists = await adminClient.query('SELECT 1 FROM pg_database WHERE datname = $1', [dbName]);
    if (exists.rowCount === 0) {
      await adminClient.query(`CREATE DATABASE "${dbName.replace(/"/g, '""')}"`).catch((err: { code?: string }) => {
        if (err.code !== '42P04' && err.code !== '23505') throw err;
      });
    }
  } catch (err) {
    // Without rights on the maintenance database the target database must already exist; the connect below says so.
    if ((err as { code?: string }).code !== '42501') throw err;
  } finally {
    await adminClient.end().catch(() => undefined);
  }
  const client = new Client({ connectionString: databaseUrl });
  try {
    await client.connect();
    await client
      .query(`CREATE SCHEMA IF NOT EXISTS "${schema.replace(/"/g, '""')}"`)
      .catch((err: { code?: string }) => {
        if (err.code !== '23505' && err.code !== '42P06') throw err;
      });
  } finally {
    await client.end().catch(() => undefined);
  }
}
