// End-to-end: OpenAI's Conversations and Responses APIs and stateful chat completions, driven with the official
// `openai` package against auth, chat-history, an inference worker and the gateway as real processes.
import OpenAI from 'openai';
import { Client } from 'pg';
import { RunningPlatform, createApiKey, registerUser, startPlatform } from '@llmp/testing';

jest.setTimeout(180_000);

let platform: RunningPlatform;
let client: OpenAI;
let other: OpenAI;
let db: Client;
const MODEL = 'stories260k';

beforeAll(async () => {
  platform = await startPlatform({ chatHistory: true, rag: true, workerModels: 'stories260k' });
  client = new OpenAI({ baseURL: `${platform.gateway.url}/v1`, apiKey: platform.apiKey });
  const bobToken = await registerUser(platform.gateway.url, `bob${Date.now().toString(36)}`, 'Bob-strong-pass-1');
  other = new OpenAI({
    baseURL: `${platform.gateway.url}/v1`,
    apiKey: await createApiKey(platform.gateway.url, bobToken, { name: 'bob' }),
  });
  db = new Client({ connectionString: platform.databaseUrl });
  await db.connect();
});

afterAll(async () => {
  await db?.end();
  await platform?.stop();
});

async function rows(sql: string, params: unknown[] = []) {
  return (await db.query(sql, params)).rows;
}

describe('Conversations API', () => {
  it('creates, retrieves, updates and deletes with the SDK; the database follows', async () => {
    const conv = await client.conversations.create({
      metadata: { topic: 'dragons' },
      items: [{ type: 'message', role: 'user', content: 'Hello there' }],
    });
    expect(conv.id).toMatch(/^conv_/);
    expect(conv.object).toBe('conversation');
    expect((await client.conversations.retrieve(conv.id)).metadata).toEqual({ topic: 'dragons' });
    const updated = await client.conversations.update(conv.id, { metadata: { topic: 'knights' } });
    expect(updated.metadata).toEqual({ topic: 'knights' });
    expect(
      await rows('SELECT count(*)::int AS n FROM chat_history.conversation_items WHERE conversation_id = $1', [
        conv.id,
      ]),
    ).toEqual([{ n: 1 }]);

    const deleted = await client.conversations.delete(conv.id);
    expect(deleted).toMatchObject({ id: conv.id, object: 'conversation.deleted', deleted: true });
    await expect(client.conversations.retrieve(conv.id)).rejects.toMatchObject({ status: 404 });
    expect(await rows('SELECT id FROM chat_history.conversations WHERE id = $1', [conv.id])).toEqual([]);
    expect(await rows('SELECT id FROM chat_history.conversation_items WHERE conversation_id = $1', [conv.id])).toEqual(
      [],
    );
  });

  it('adds, lists, retrieves and deletes items', async () => {
    const conv = await client.conversations.create({});
    const created = await client.conversations.items.create(conv.id, {
      items: [
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'first' }] },
        {
          type: 'message',
          role: 'assistant',
          content: [{ type: 'output_text', text: 'second', annotations: [] }],
        } as never,
      ],
    });
    expect(created.data).toHaveLength(2);
    const listed = await client.conversations.items.list(conv.id, { order: 'asc' });
    expect(listed.data.map((i) => (i.type === 'message' ? (i.content[0] as { text: string }).text : ''))).toEqual([
      'first',
      'second',
    ]);
    const one = await client.conversations.items.retrieve(created.data[0]!.id!, { conversation_id: conv.id });
    expect(one.id).toBe(created.data[0]!.id);
    await client.conversations.items.delete(created.data[0]!.id!, { conversation_id: conv.id });
    const after = await client.conversations.items.list(conv.id);
    expect(after.data).toHaveLength(1);
  });

  it('keeps conversations private: another user gets 404 on every route', async () => {
    const conv = await client.conversations.create({ items: [{ type: 'message', role: 'user', content: 'secret' }] });
    const items = await client.conversations.items.list(conv.id);
    const itemId = items.data[0]!.id!;
    const attempts: Promise<unknown>[] = [
      other.conversations.retrieve(conv.id),
      other.conversations.update(conv.id, { metadata: { x: 'y' } }),
      other.conversations.items.list(conv.id),
      other.conversations.items.retrieve(itemId, { conversation_id: conv.id }),
      other.conversations.items.create(conv.id, { items: [{ type: 'message', role: 'user', content: 'hi' }] }),
      other.conversations.items.delete(itemId, { conversation_id: conv.id }),
      other.conversations.delete(conv.id),
      other.chat.completions.create({
        model: MODEL,
        messages: [{ role: 'user', content: 'x' }],
        max_tokens: 3,
        conversation_id: conv.id,
      } as never),
      other.responses.create({ model: MODEL, input: 'x', conversation: conv.id, max_output_tokens: 3 }),
    ];
    for (const attempt of attempts) await expect(attempt).rejects.toMatchObject({ status: 404 });
    await expect(client.conversations.retrieve('conv_malformed!!')).rejects.toMatchObject({ status: 404 });
    // Nothing changed for the owner.
    expect((await client.conversations.items.list(conv.id)).data).toHaveLength(1);
  });

  it('rejects an unknown role naming the field', async () => {
    const conv = await client.conversations.create({});
    await expect(
      client.conversations.items.create(conv.id, {
        items: [{ type: 'message', role: 'wizard' as never, content: 'x' }],
      }),
    ).rejects.toMatchObject({ status: 400, param: 'items[0].role' });
  });

  it('lists the caller’s conversations newest first and exports one', async () => {
    const a = await client.conversations.create({ title: 'A' } as never);
    const b = await client.conversations.create({ title: 'B' } as never);
    const res = await fetch(`${platform.gateway.url}/v1/conversations?limit=2`, {
      headers: { authorization: `Bearer ${platform.apiKey}` },
    });
    const page = (await res.json()) as { object: string; data: { id: string }[]; has_more: boolean };
    expect(page.object).toBe('list');
    expect(page.data.map((c) => c.id)).toEqual([b.id, a.id]);
    const md = await fetch(`${platform.gateway.url}/v1/conversations/${a.id}/export?format=markdown`, {
      headers: { authorization: `Bearer ${platform.apiKey}` },
    });
    expect(md.status).toBe(200);
    expect(md.headers.get('content-type')).toMatch(/markdown/);
  });
});

describe('stateful chat', () => {
  it('chat.completions with conversation_id loads the system prompt and history and appends the exchange', async () => {
    const conv = await client.conversations.create({
      system_prompt: 'You tell short stories.',
      items: [{ type: 'message', role: 'user', content: 'Tell me about Lily.' }],
    } as never);
    const dry = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'And then?' }],
      max_tokens: 8,
      conversation_id: conv.id,
      dry_run: true,
    } as never);
    const prompt = dry as unknown as {
      prompt: string;
      context: { verbatim_item_ids: string[]; tokens: Record<string, number> };
      sections: { section: string; role: string; content: string; tokens: number }[];
    };
    // Section by section, in prompt order, each with its tokens; they add up to the sections' totals.
    expect(prompt.sections.map((p) => [p.section, p.role, p.content])).toEqual([
      ['system', 'system', 'You tell short stories.'],
      ['turn', 'user', 'Tell me about Lily.'],
      ['input', 'user', 'And then?'],
    ]);
    for (const section of ['system', 'turn', 'input']) {
      const parts = prompt.sections.filter((p) => p.section === section);
      expect(parts.reduce((n, p) => n + p.tokens, 0)).toBe(prompt.context.tokens[section]);
    }
    expect(prompt.prompt).toContain('You tell short stories.');
    expect(prompt.prompt).toContain('Tell me about Lily.');
    expect(prompt.prompt).toContain('And then?');
    expect(prompt.context.tokens.system).toBeGreaterThan(0);
    expect(prompt.context.verbatim_item_ids).toHaveLength(1);
    // A dry run writes nothing.
    expect((await client.conversations.items.list(conv.id)).data).toHaveLength(1);

    const reply = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'And then?' }],
      max_tokens: 8,
      conversation_id: conv.id,
    } as never);
    expect((reply as unknown as { context: unknown }).context).toBeTruthy();
    const items = await client.conversations.items.list(conv.id, { order: 'asc' });
    expect(items.data).toHaveLength(3);
    const last = items.data[2]!;
    expect(last.type === 'message' && last.role).toBe('assistant');
    expect(last.type === 'message' && (last.content[0] as { text: string }).text).toBe(
      reply.choices[0]!.message.content,
    );
  });

  it('keeps both of two concurrent requests on one conversation, in order, without duplicates', async () => {
    const conv = await client.conversations.create({});
    await Promise.all(
      ['first question', 'second question'].map((q) =>
        client.chat.completions.create({
          model: MODEL,
          messages: [{ role: 'user', content: q }],
          max_tokens: 5,
          conversation_id: conv.id,
        } as never),
      ),
    );
    const items = await rows(
      `SELECT seq, body FROM chat_history.conversation_items WHERE conversation_id = $1 ORDER BY seq`,
      [conv.id],
    );
    expect(items).toHaveLength(4);
    const seqs = items.map((r) => Number(r.seq));
    expect(new Set(seqs).size).toBe(4);
  });
});

describe('Responses API', () => {
  it('creates, retrieves, lists input items and deletes a stored response', async () => {
    const res = await client.responses.create({ model: MODEL, input: 'Once upon a time', max_output_tokens: 10 });
    expect(res.id).toMatch(/^resp_/);
    expect(res.object).toBe('response');
    expect(res.output_text.length).toBeGreaterThan(0);
    expect(res.usage!.total_tokens).toBe(res.usage!.input_tokens + res.usage!.output_tokens);
    const again = await client.responses.retrieve(res.id);
    expect(again.id).toBe(res.id);
    const input = await client.responses.inputItems.list(res.id);
    expect(input.data).toHaveLength(1);
    await client.responses.delete(res.id);
    await expect(client.responses.retrieve(res.id)).rejects.toMatchObject({ status: 404 });
    await expect(other.responses.retrieve(again.id)).rejects.toMatchObject({ status: 404 });
  });

  it('streams the documented event sequence', async () => {
    const stream = await client.responses.create({
      model: MODEL,
      input: 'Tell a story',
      max_output_tokens: 12,
      stream: true,
    });
    const types: string[] = [];
    const seq: number[] = [];
    let text = '';
    let completed: OpenAI.Responses.Response | null = null;
    for await (const ev of stream) {
      types.push(ev.type);
      seq.push(ev.sequence_number);
      if (ev.type === 'response.output_text.delta') text += ev.delta;
      if (ev.type === 'response.completed' || ev.type === 'response.incomplete') completed = ev.response;
    }
    expect(types.slice(0, 4)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
    ]);
    expect(types.slice(-4, -1)).toEqual([
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
    ]);
    expect(['response.completed', 'response.incomplete']).toContain(types.at(-1));
    expect(seq).toEqual(seq.map((_, i) => i));
    expect(completed!.output_text ?? (completed!.output[0] as { content: { text: string }[] }).content[0]!.text).toBe(
      text,
    );
  });

  it('carries context forward with previous_response_id and refuses it together with conversation', async () => {
    const first = await client.responses.create({ model: MODEL, input: 'My name is Zorblax.', max_output_tokens: 5 });
    const dry = await fetch(`${platform.gateway.url}/v1/responses?dry_run=true`, {
      method: 'POST',
      headers: { authorization: `Bearer ${platform.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, input: 'What is my name?', previous_response_id: first.id }),
    });
    const body = (await dry.json()) as { prompt: string };
    expect(body.prompt).toContain('My name is Zorblax.');
    expect(body.prompt).toContain(first.output_text);
    const conv = await client.conversations.create({});
    await expect(
      client.responses.create({ model: MODEL, input: 'x', previous_response_id: first.id, conversation: conv.id }),
    ).rejects.toMatchObject({ status: 400, param: 'previous_response_id' });
  });

  it('appends input and output to a conversation', async () => {
    const conv = await client.conversations.create({});
    const res = await client.responses.create({
      model: MODEL,
      input: 'Hello',
      conversation: conv.id,
      max_output_tokens: 6,
    });
    const items = await client.conversations.items.list(conv.id, { order: 'asc' });
    expect(items.data).toHaveLength(2);
    const out = items.data[1]!;
    expect(out.type === 'message' && (out.content[0] as { text: string }).text).toBe(res.output_text);
  });
});

describe('privacy', () => {
  it('DELETE /v1/me/data removes every conversation, response and key of the caller', async () => {
    const token = await registerUser(platform.gateway.url, `carol${Date.now().toString(36)}`, 'Carol-strong-pass-1');
    const key = await createApiKey(platform.gateway.url, token, { name: 'carol' });
    const carol = new OpenAI({ baseURL: `${platform.gateway.url}/v1`, apiKey: key });
    const conv = await carol.conversations.create({ items: [{ type: 'message', role: 'user', content: 'hi' }] });
    await carol.responses.create({ model: MODEL, input: 'hi', max_output_tokens: 3 });
    const me = (await (
      await fetch(`${platform.gateway.url}/v1/auth/me`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as {
      id: string;
    };
    expect(await rows('SELECT id FROM chat_history.stored_responses WHERE user_id = $1', [me.id])).toHaveLength(1);
    const res = await fetch(`${platform.gateway.url}/v1/me/data`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    expect(await rows('SELECT id FROM chat_history.conversations WHERE id = $1', [conv.id])).toEqual([]);
    expect(await rows('SELECT id FROM chat_history.stored_responses WHERE user_id = $1', [me.id])).toEqual([]);
    await expect(carol.models.list()).rejects.toMatchObject({ status: 401 });
  });
});
