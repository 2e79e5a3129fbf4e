/** Helpers of the suites that read usage rows back from the auth app's Postgres. */
import type { Client } from 'pg';
import type { RunningPlatform } from '@llmp/testing';

export interface UsageRow {
  prompt_tokens: number;
  completion_tokens: number;
  model: string;
  endpoint: string;
}

/** A new API key of the admin: its secret and its id (the usage rows' `api_key_id`). */
export async function mintKey(platform: RunningPlatform, name: string): Promise<{ key: string; id: string }> {
  const res = await fetch(`${platform.gateway.url}/v1/api-keys`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${platform.adminToken}` },
    body: JSON.stringify({ name }),
  });
  if (res.status !== 201) throw new Error(`creating an API key answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as { key: string; id: string };
}

/** The key's usage rows once `expected` of them are there (the auth app records asynchronously), or at 15 s. */
export async function usageRows(db: Client, apiKeyId: string, expected: number): Promise<UsageRow[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const { rows } = await db.query<UsageRow>(
      `SELECT prompt_tokens, completion_tokens, model, endpoint FROM auth.usage_records WHERE api_key_id = $1`,
      [apiKeyId],
    );
    if (rows.length >= expected || Date.now() > deadline) return rows;
    await new Promise((r) => setTimeout(r, 100));
  }
}
