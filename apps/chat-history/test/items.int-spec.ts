import type { ItemView } from '@llmp/contracts';
import {
  ChatHistoryHarness,
  assistantMessage,
  createConversation,
  newUserId,
  startChatHistory,
  userMessage,
} from './chat-history-harness';

describe('chat-history conversation items (RPC)', () => {
  let h: ChatHistoryHarness;
  const alice = newUserId();
  const bob = newUserId();

  beforeAll(async () => {
    h = await startChatHistory();
  });

  afterAll(async () => {
    await h?.stop();
  });

  it('stores every item type and normalises message content to parts typed by role', async () => {
    const conv = await createConversation(h, alice);
    const created = await h.call('createItems', {
      userId: alice,
      conversationId: conv.id,
      items: [
        { role: 'user', content: 'no type given' },
        { type: 'message', role: 'system', content: [{ type: 'output_text', text: 'sys' }] },
        { type: 'message', role: 'developer', content: 'dev' },
        { type: 'message', role: 'assistant', content: 'plain assistant text' },
        { type: 'function_call', call_id: 'call_9', name: 'lookup', arguments: '{"q":1}' },
        { type: 'function_call_output', call_id: 'call_9', output: '42' },
      ],
    });
    expect(created).toMatchObject({ object: 'list', has_more: false });
    expect(created.first_id).toBe(created.data[0]!.id);
    expect(created.last_id).toBe(created.data[5]!.id);
    expect(created.data).toEqual([
      {
        type: 'message',
        id: expect.stringMatching(/^msg_/),
        status: 'completed',
        role: 'user',
        content: [{ type: 'input_text', text: 'no type given' }],
      },
      {
        type: 'message',
        id: expect.stringMatching(/^msg_/),
        status: 'completed',
        role: 'system',
        content: [{ type: 'input_text', text: 'sys' }],
      },
      {
        type: 'message',
        id: expect.stringMatching(/^msg_/),
        status: 'completed',
        role: 'developer',
        content: [{ type: 'input_text', text: 'dev' }],
      },
      {
        type: 'message',
        id: expect.stringMatching(/^msg_/),
        status: 'completed',
        role: 'assistant',
        content: [{ type: 'output_text', text: 'plain assistant text', annotations: [] }],
      },
      {
        type: 'function_call',
        id: expect.stringMatching(/^fc_/),
        status: 'completed',
        call_id: 'call_9',
        name: 'lookup',
        arguments: '{"q":1}',
      },
      {
        type: 'function_call_output',
        id: expect.stringMatching(/^fco_/),
        status: 'completed',
        call_id: 'call_9',
        output: '42',
      },
    ]);
    for (const item of created.data) {
      expect(await h.call('getItem', { userId: alice, conversationId: conv.id, itemId: item.id })).toEqual(item);
    }
  });

  it('validates items with invalid_request naming the field', async () => {
    const conv = await createConversation(h, alice);
    const cases: [unknown, string][] = [
      [[{ type: 'message', role: 'robot', content: 'x' }], 'items[0].role'],
      [[userMessage('ok'), { type: 'reasoning', summary: [] }], 'items[1].type'],
      [[{ type: 'message', role: 'user', content: [{ type: 'input_image', image_url: 'x' }] }], 'items[0].content'],
      [[{ type: 'function_call', call_id: 'c', name: 'f' }], 'items[0].arguments'],
      [[{ type: 'function_call_output', output: 'x' }], 'items[0].call_id'],
      [[], 'items'],
      [Array.from({ length: 21 }, () => userMessage('x')), 'items'],
    ];
    for (const [items, param] of cases) {
      expect(await h.callError('createItems', { userId: alice, conversationId: conv.id, items })).toMatchObject({
        code: 'invalid_request',
        param,
      });
    }
    // Nothing of the refused requests was stored.
    expect((await h.call('listItems', { userId: alice, conversationId: conv.id })).data).toEqual([]);
  });

  it('accepts 20 items in one call', async () => {
    const conv = await createConversation(h, alice);
    const items = Array.from({ length: 20 }, (_, i) => userMessage(`m${i}`));
    const created = await h.call('createItems', { userId: alice, conversationId: conv.id, items });
    expect(created.data).toHaveLength(20);
  });

  it('lists items newest first by default, pages with after/limit, and oldest first with order=asc', async () => {
    const conv = await createConversation(h, alice);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const created = await h.call('createItems', {
        userId: alice,
        conversationId: conv.id,
        items: [userMessage(`t${i}`)],
      });
      ids.push(created.data[0]!.id);
    }
    const text = (page: { data: ItemView[] }) => page.data.map((i) => (i.type === 'message' ? i.content[0]!.text : ''));
    const p1 = await h.call('listItems', { userId: alice, conversationId: conv.id, limit: 2 });
    expect(text(p1)).toEqual(['t4', 't3']);
    expect(p1).toMatchObject({ has_more: true, first_id: ids[4], last_id: ids[3] });
    const p2 = await h.call('listItems', { userId: alice, conversationId: conv.id, limit: 2, after: p1.last_id! });
    expect(text(p2)).toEqual(['t2', 't1']);
    const p3 = await h.call('listItems', { userId: alice, conversationId: conv.id, limit: 2, after: p2.last_id! });
    expect(text(p3)).toEqual(['t0']);
    expect(p3.has_more).toBe(false);
    const asc = await h.call('listItems', { userId: alice, conversationId: conv.id, order: 'asc', limit: 3 });
    expect(text(asc)).toEqual(['t0', 't1', 't2']);
    expect(asc.has_more).toBe(true);
    const ascRest = await h.call('listItems', { userId: alice, conversationId: conv.id, order: 'asc', after: ids[2]! });
    expect(text(ascRest)).toEqual(['t3', 't4']);
    expect(ascRest.has_more).toBe(false);
    const exact = await h.call('listItems', { userId: alice, conversationId: conv.id, limit: 5 });
    expect(exact.has_more).toBe(false);

    const other = await createConversation(h, alice, { items: [userMessage('elsewhere')] });
    const otherItem = (await h.call('listItems', { userId: alice, conversationId: other.id })).data[0]!.id;
    expect(await h.callError('listItems', { userId: alice, conversationId: conv.id, after: otherItem })).toMatchObject({
      code: 'not_found',
      param: 'after',
    });
    expect(await h.callError('listItems', { userId: alice, conversationId: conv.id, order: 'up' })).toMatchObject({
      code: 'invalid_request',
      param: 'order',
    });
  });

  it('deletes an item, answering the conversation; the item is then not_found', async () => {
    const conv = await createConversation(h, alice, { items: [userMessage('keep'), userMessage('drop')] });
    const [keep, drop] = (await h.call('listItems', { userId: alice, conversationId: conv.id, order: 'asc' })).data;
    expect(await h.call('deleteItem', { userId: alice, conversationId: conv.id, itemId: drop!.id })).toEqual(conv);
    expect(await h.callError('getItem', { userId: alice, conversationId: conv.id, itemId: drop!.id })).toMatchObject({
      code: 'not_found',
      param: 'itemId',
    });
    expect(await h.callError('deleteItem', { userId: alice, conversationId: conv.id, itemId: drop!.id })).toMatchObject(
      {
        code: 'not_found',
      },
    );
    expect((await h.call('listItems', { userId: alice, conversationId: conv.id })).data.map((i) => i.id)).toEqual([
      keep!.id,
    ]);
  });

  it('does not reach an item through another conversation, nor another user’s item through one’s own', async () => {
    const mine = await createConversation(h, alice, { items: [userMessage('a')] });
    const theirs = await createConversation(h, bob, { items: [userMessage('b')] });
    const theirItem = (await h.call('listItems', { userId: bob, conversationId: theirs.id })).data[0]!.id;
    expect(await h.callError('getItem', { userId: alice, conversationId: mine.id, itemId: theirItem })).toMatchObject({
      code: 'not_found',
    });
    expect(
      await h.callError('deleteItem', { userId: alice, conversationId: mine.id, itemId: theirItem }),
    ).toMatchObject({ code: 'not_found' });
    expect(await h.call('getItem', { userId: bob, conversationId: theirs.id, itemId: theirItem })).toMatchObject({
      id: theirItem,
    });
    for (const itemId of ['msg_nope', '', 'conv_x', '%']) {
      expect(await h.callError('getItem', { userId: alice, conversationId: mine.id, itemId })).toMatchObject({
        code: 'not_found',
      });
    }
  });

  it('stores a retried append with the same idempotency key once, answering the first items', async () => {
    const conv = await createConversation(h, alice);
    const req = {
      userId: alice,
      conversationId: conv.id,
      items: [userMessage('question'), assistantMessage('answer')],
      idempotencyKey: 'turn-1',
      responseId: 'resp_abc',
    };
    const first = await h.call('createItems', req);
    const again = await h.call('createItems', req);
    expect(again).toEqual(first);
    const concurrent = await Promise.all(
      [1, 2, 3].map(() => h.call('createItems', { ...req, idempotencyKey: 'turn-2' })),
    );
    expect(concurrent[1]).toEqual(concurrent[0]);
    expect(concurrent[2]).toEqual(concurrent[0]);
    const all = await h.call('listItems', { userId: alice, conversationId: conv.id, order: 'asc' });
    expect(all.data).toHaveLength(4);
    const rows = await h.sql<{ response_id: string }>(
      'SELECT response_id FROM chat_history.conversation_items WHERE conversation_id = $1',
      [conv.id],
    );
    expect(rows.every((r) => r.response_id === 'resp_abc')).toBe(true);
    // The same key on another conversation is another append.
    const other = await createConversation(h, alice);
    const elsewhere = await h.call('createItems', { ...req, conversationId: other.id });
    expect(elsewhere.data[0]!.id).not.toBe(first.data[0]!.id);
  });

  it('keeps all of 20 concurrent appends to one conversation, in strictly increasing seq with no gaps', async () => {
    const conv = await createConversation(h, alice);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        h.call('createItems', {
          userId: alice,
          conversationId: conv.id,
          items: [userMessage(`q${i}`), assistantMessage(`a${i}`)],
        }),
      ),
    );
    expect(results.every((r) => r.data.length === 2)).toBe(true);
    const rows = await h.sql<{ seq: number; body: { content: { text: string }[] } }>(
      'SELECT seq, body FROM chat_history.conversation_items WHERE conversation_id = $1 ORDER BY seq',
      [conv.id],
    );
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    // Each append's two items are adjacent: q_i directly followed by a_i.
    for (let k = 0; k < 40; k += 2) {
      const q = rows[k]!.body.content[0]!.text;
      expect(rows[k + 1]!.body.content[0]!.text).toBe(`a${q.slice(1)}`);
    }
    const listed = await h.call('listItems', { userId: alice, conversationId: conv.id, limit: 100, order: 'asc' });
    expect(listed.data).toHaveLength(40);
    const context = await h.call('loadContext', { userId: alice, conversationId: conv.id });
    expect(context.turns.map((t) => t.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });
});
