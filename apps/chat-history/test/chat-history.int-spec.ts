import { ChatHistoryHarness, startChatHistory } from './chat-history-harness';

interface ReadyBody {
  status: string;
  checks: Record<string, { ok: boolean; error?: string }>;
}

describe('chat-history service (built app, real Postgres and Redis)', () => {
  let h: ChatHistoryHarness;

  beforeAll(async () => {
    h = await startChatHistory();
  });

  afterAll(async () => {
    await h?.stop();
  });

  it('answers liveness on /health', async () => {
    const res = await fetch(`${h.app.url}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('is ready once Postgres, Redis, the RPC transport and its queue worker answer', async () => {
    const res = await fetch(`${h.app.url}/health/ready`);
    const body = (await res.json()) as ReadyBody;
    expect(res.status).toBe(200);
    expect(body.status).toBe('ready');
    for (const check of ['postgres', 'redis', 'rpc', 'chat-history-worker']) {
      expect(body.checks[check]).toEqual({ ok: true });
    }
  });

  it('exposes Prometheus process metrics labelled with its service name', async () => {
    const res = await fetch(`${h.app.url}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/^process_cpu_user_seconds_total\{[^}]*service="chat-history"[^}]*\} \d/m);
  });

  it('ran its migrations into its own schema', async () => {
    const migrations = await h.sql<{ name: string }>('SELECT name FROM "chat_history"."migrations" ORDER BY id');
    expect(migrations.map((r) => r.name)).toEqual([
      'ChatHistoryBaseline1732300000000',
      'ChatHistoryTables1732500000000',
      'ChatHistoryJobOutbox1732700000000',
    ]);
    const tables = await h.sql<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'chat_history' ORDER BY table_name`,
    );
    expect(tables.map((t) => t.table_name)).toEqual([
      'conversation_items',
      'conversation_summaries',
      'conversations',
      'job_outbox',
      'migrations',
      'stored_responses',
    ]);
  });

  it('answers a request that fails validation with invalid_request naming the field', async () => {
    expect(await h.callError('getConversation', { userId: 'not-a-uuid', id: 'conv_x' })).toEqual({
      code: 'invalid_request',
      message: expect.stringContaining('userId'),
      param: 'userId',
    });
  });
});
