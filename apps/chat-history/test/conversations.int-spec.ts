import {
  ChatHistoryHarness,
  assistantMessage,
  createConversation,
  newUserId,
  startChatHistory,
  userMessage,
} from './chat-history-harness';

describe('chat-history conversations (RPC)', () => {
  let h: ChatHistoryHarness;
  const alice = newUserId();
  const bob = newUserId();

  beforeAll(async () => {
    h = await startChatHistory({ CHAT_SYSTEM_PROMPT_MAX_CHARS: '50' });
  });

  afterAll(async () => {
    await h?.stop();
  });

  it('creates a conversation in OpenAI’s shape with the platform’s extensions', async () => {
    const before = Math.floor(Date.now() / 1000);
    const conv = await createConversation(h, alice, {
      metadata: { topic: 'demo' },
      title: 'First chat',
      system_prompt: 'Be brief.',
      items: [userMessage('Hello!')],
    });
    expect(conv).toEqual({
      id: expect.stringMatching(/^conv_[0-9a-f]{48}$/),
      object: 'conversation',
      created_at: expect.any(Number),
      metadata: { topic: 'demo' },
      title: 'First chat',
      system_prompt: 'Be brief.',
      ttl_seconds: null,
      expires_at: null,
    });
    expect(conv.created_at).toBeGreaterThanOrEqual(before - 1);
    const items = await h.call('listItems', { userId: alice, conversationId: conv.id });
    expect(items.data).toEqual([
      {
        type: 'message',
        id: expect.stringMatching(/^msg_/),
        status: 'completed',
        role: 'user',
        content: [{ type: 'input_text', text: 'Hello!' }],
      },
    ]);
    expect(await h.call('getConversation', { userId: alice, id: conv.id })).toEqual(conv);
  });

  it('creates an empty conversation with empty metadata', async () => {
    const conv = await createConversation(h, alice);
    expect(conv.metadata).toEqual({});
    expect((await h.call('listItems', { userId: alice, conversationId: conv.id })).data).toEqual([]);
  });

  it('updates title, system prompt and metadata (replaced as a whole), and clears them with null', async () => {
    const conv = await createConversation(h, alice, { metadata: { a: '1', b: '2' }, title: 'old' });
    const updated = await h.call('updateConversation', {
      userId: alice,
      id: conv.id,
      metadata: { c: '3' },
      system_prompt: 'You are terse.',
    });
    expect(updated).toMatchObject({ id: conv.id, metadata: { c: '3' }, title: 'old', system_prompt: 'You are terse.' });
    const cleared = await h.call('updateConversation', { userId: alice, id: conv.id, title: null, metadata: null });
    expect(cleared).toMatchObject({ metadata: {}, title: null, system_prompt: 'You are terse.' });
    expect(await h.call('getConversation', { userId: alice, id: conv.id })).toEqual(cleared);
  });

  it('sets expires_at from ttl_seconds, and removes it with null', async () => {
    const conv = await createConversation(h, alice, { ttl_seconds: 3600 });
    const now = Date.now() / 1000;
    expect(conv.ttl_seconds).toBe(3600);
    expect(conv.expires_at! - now).toBeGreaterThan(3590);
    expect(conv.expires_at! - now).toBeLessThan(3610);
    const longer = await h.call('updateConversation', { userId: alice, id: conv.id, ttl_seconds: 7200 });
    expect(longer.expires_at! - now).toBeGreaterThan(7190);
    const forever = await h.call('updateConversation', { userId: alice, id: conv.id, ttl_seconds: null });
    expect(forever).toMatchObject({ ttl_seconds: null, expires_at: null });
  });

  it('deletes a conversation with its items; afterwards it is not_found', async () => {
    const conv = await createConversation(h, alice, { items: [userMessage('a'), assistantMessage('b')] });
    expect(await h.call('deleteConversation', { userId: alice, id: conv.id })).toEqual({
      id: conv.id,
      object: 'conversation.deleted',
      deleted: true,
    });
    expect(await h.callError('getConversation', { userId: alice, id: conv.id })).toMatchObject({
      code: 'not_found',
      param: 'id',
    });
    expect(await h.callError('deleteConversation', { userId: alice, id: conv.id })).toMatchObject({
      code: 'not_found',
    });
    const rows = await h.sql('SELECT 1 FROM chat_history.conversation_items WHERE conversation_id = $1', [conv.id]);
    expect(rows).toHaveLength(0);
  });

  it('never shows one user’s conversation to another: every pattern answers not_found', async () => {
    const conv = await createConversation(h, alice, { title: 'secret', items: [userMessage('private')] });
    const itemId = (await h.call('listItems', { userId: alice, conversationId: conv.id })).data[0]!.id;
    const foreign = [
      h.callError('getConversation', { userId: bob, id: conv.id }),
      h.callError('updateConversation', { userId: bob, id: conv.id, title: 'mine now' }),
      h.callError('deleteConversation', { userId: bob, id: conv.id }),
      h.callError('exportConversation', { userId: bob, id: conv.id, format: 'json' }),
      h.callError('listConversations', { userId: bob, after: conv.id }),
      h.callError('createItems', { userId: bob, conversationId: conv.id, items: [userMessage('x')] }),
      h.callError('listItems', { userId: bob, conversationId: conv.id }),
      h.callError('getItem', { userId: bob, conversationId: conv.id, itemId }),
      h.callError('deleteItem', { userId: bob, conversationId: conv.id, itemId }),
      h.callError('loadContext', { userId: bob, conversationId: conv.id }),
      h.callError('storeSummary', { userId: bob, conversationId: conv.id, text: 'x', throughSeq: 1 }),
      h.callError('storeResponse', { userId: bob, response: { id: 'resp_bob1' }, conversationId: conv.id }),
    ];
    for (const err of await Promise.all(foreign)) expect(err.code).toBe('not_found');
    expect((await h.call('listConversations', { userId: bob })).data).toEqual([]);
    // Nothing changed for its owner.
    expect(await h.call('getConversation', { userId: alice, id: conv.id })).toMatchObject({ title: 'secret' });
    expect((await h.call('listItems', { userId: alice, conversationId: conv.id })).data).toHaveLength(1);
  });

  it('answers not_found for unknown and malformed ids, never invalid_request', async () => {
    for (const id of ['conv_0000', 'msg_abc', '', "'; DROP TABLE x; --", 'x'.repeat(300), '💥']) {
      expect(await h.callError('getConversation', { userId: alice, id })).toMatchObject({ code: 'not_found' });
      expect(await h.callError('listItems', { userId: alice, conversationId: id })).toMatchObject({
        code: 'not_found',
      });
    }
  });

  it('validates bodies with invalid_request naming the field', async () => {
    const cases: [unknown, string][] = [
      [{ userId: alice, system_prompt: 'x'.repeat(51) }, 'system_prompt'],
      [
        { userId: alice, metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])) },
        'metadata',
      ],
      [{ userId: alice, metadata: { k: 1 } }, 'metadata.k'],
      [{ userId: alice, ttl_seconds: 0 }, 'ttl_seconds'],
      [{ userId: alice, items: [{ type: 'message', role: 'robot', content: 'x' }] }, 'items[0].role'],
      [{ userId: alice, items: [{ type: 'image', url: 'x' }] }, 'items[0].type'],
      [{ userId: alice, items: Array.from({ length: 21 }, () => userMessage('x')) }, 'items'],
    ];
    for (const [body, param] of cases) {
      expect(await h.callError('createConversation', body)).toMatchObject({ code: 'invalid_request', param });
    }
    const conv = await createConversation(h, alice);
    expect(
      await h.callError('updateConversation', { userId: alice, id: conv.id, system_prompt: 'y'.repeat(51) }),
    ).toMatchObject({ code: 'invalid_request', param: 'system_prompt', message: expect.stringContaining('50') });
  });

  it('lists conversations newest first with after/limit/has_more, and oldest first with order=asc', async () => {
    const carol = newUserId();
    const made: string[] = [];
    for (let i = 0; i < 5; i++) made.push((await createConversation(h, carol, { title: `c${i}` })).id);
    const page1 = await h.call('listConversations', { userId: carol, limit: 2 });
    expect(page1).toMatchObject({ object: 'list', has_more: true, first_id: made[4], last_id: made[3] });
    expect(page1.data.map((c) => c.id)).toEqual([made[4], made[3]]);
    const page2 = await h.call('listConversations', { userId: carol, limit: 2, after: page1.last_id! });
    expect(page2.data.map((c) => c.id)).toEqual([made[2], made[1]]);
    const page3 = await h.call('listConversations', { userId: carol, limit: 2, after: page2.last_id! });
    expect(page3).toMatchObject({ has_more: false, first_id: made[0], last_id: made[0] });
    const asc = await h.call('listConversations', { userId: carol, order: 'asc', limit: 3 });
    expect(asc.data.map((c) => c.id)).toEqual(made.slice(0, 3));
    const ascNext = await h.call('listConversations', { userId: carol, order: 'asc', after: made[2]! });
    expect(ascNext).toMatchObject({ has_more: false });
    expect(ascNext.data.map((c) => c.id)).toEqual(made.slice(3));
    expect(await h.callError('listConversations', { userId: carol, limit: 0 })).toMatchObject({
      code: 'invalid_request',
      param: 'limit',
    });
    expect(await h.callError('listConversations', { userId: carol, limit: 101 })).toMatchObject({ param: 'limit' });
    expect(await h.callError('listConversations', { userId: carol, after: 'conv_unknown' })).toMatchObject({
      code: 'not_found',
      param: 'after',
    });
  });

  it('exports a conversation as JSON and as Markdown, oldest item first', async () => {
    const conv = await createConversation(h, alice, {
      title: 'Trip plan',
      system_prompt: 'Plan trips.',
      items: [
        userMessage('Where to go?'),
        { type: 'function_call', call_id: 'call_1', name: 'weather', arguments: '{"city":"Oslo"}' },
        { type: 'function_call_output', call_id: 'call_1', output: 'sunny ```' },
        assistantMessage('Go to Oslo.'),
      ],
    });
    const json = await h.call('exportConversation', { userId: alice, id: conv.id, format: 'json' });
    expect(json.content_type).toBe('application/json');
    expect(json.filename).toBe(`${conv.id}.json`);
    const doc = JSON.parse(json.body) as { conversation: { id: string }; items: { type: string }[] };
    expect(doc.conversation).toEqual(conv);
    expect(doc.items.map((i) => i.type)).toEqual(['message', 'function_call', 'function_call_output', 'message']);
    expect(doc.items[3]).toMatchObject({ role: 'assistant', content: [{ type: 'output_text', text: 'Go to Oslo.' }] });

    const md = await h.call('exportConversation', { userId: alice, id: conv.id, format: 'markdown' });
    expect(md.content_type).toBe('text/markdown; charset=utf-8');
    expect(md.body).toContain('# Trip plan');
    expect(md.body).toContain('## System prompt\n\nPlan trips.');
    const order = [
      '## user\n\nWhere to go?',
      '## function call `weather` (call_1)',
      '````\nsunny ```\n````',
      '## assistant\n\nGo to Oslo.',
    ];
    const positions = order.map((s) => md.body.indexOf(s));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });
});
