import {
  ChatHistoryHarness,
  createConversation,
  newUserId,
  startChatHistory,
  userMessage,
  waitFor,
} from './chat-history-harness';

describe('chat-history lifetimes: TTL expiry, the purge job, user purge', () => {
  let h: ChatHistoryHarness;

  beforeAll(async () => {
    h = await startChatHistory({ CHAT_PURGE_INTERVAL_S: '1' });
  });

  afterAll(async () => {
    await h?.stop();
  });

  it('answers not_found once ttl_seconds have passed, and the purge job removes the rows', async () => {
    const alice = newUserId();
    const conv = await createConversation(h, alice, { ttl_seconds: 1, items: [userMessage('short-lived')] });
    await h.call('storeResponse', { userId: alice, response: { id: 'resp_ttl' }, conversationId: conv.id });
    await h.call('storeSummary', { userId: alice, conversationId: conv.id, text: 'sum', throughSeq: 1 });
    expect(await h.call('getConversation', { userId: alice, id: conv.id })).toMatchObject({ ttl_seconds: 1 });

    await new Promise((r) => setTimeout(r, 1500));
    for (const [name, data] of [
      ['getConversation', { userId: alice, id: conv.id }],
      ['listItems', { userId: alice, conversationId: conv.id }],
      ['loadContext', { userId: alice, conversationId: conv.id }],
      ['createItems', { userId: alice, conversationId: conv.id, items: [userMessage('late')] }],
      ['exportConversation', { userId: alice, id: conv.id }],
      ['getResponse', { userId: alice, id: 'resp_ttl' }],
    ] as const) {
      expect(await h.callError(name, data)).toMatchObject({ code: 'not_found' });
    }
    expect((await h.call('listConversations', { userId: alice })).data).toEqual([]);

    await waitFor(
      async () => (await h.sql('SELECT 1 FROM chat_history.conversations WHERE id = $1', [conv.id])).length === 0,
      10_000,
      'the purge job to delete the expired conversation',
    );
    for (const table of ['conversation_items', 'conversation_summaries', 'stored_responses']) {
      expect(await h.sql(`SELECT 1 FROM chat_history.${table} WHERE conversation_id = $1`, [conv.id])).toEqual([]);
    }
  });

  it('keeps conversations without a TTL or with one still running', async () => {
    const bob = newUserId();
    const forever = await createConversation(h, bob);
    const later = await createConversation(h, bob, { ttl_seconds: 3600 });
    await new Promise((r) => setTimeout(r, 1500));
    expect((await h.call('listConversations', { userId: bob })).data.map((c) => c.id).sort()).toEqual(
      [forever.id, later.id].sort(),
    );
  });

  it('purges everything of one user, with counts, and nothing of another', async () => {
    const carol = newUserId();
    const dave = newUserId();
    for (let i = 0; i < 2; i++) {
      const conv = await createConversation(h, carol, { items: [userMessage('a'), userMessage('b')] });
      await h.call('storeSummary', { userId: carol, conversationId: conv.id, text: 's', throughSeq: 1 });
      await h.call('storeResponse', { userId: carol, response: { id: `resp_carol${i}` }, conversationId: conv.id });
    }
    await h.call('storeResponse', { userId: carol, response: { id: 'resp_carol_free' } });
    const davesConv = await createConversation(h, dave, { items: [userMessage('mine')] });
    await h.call('storeResponse', { userId: dave, response: { id: 'resp_dave' } });

    expect(await h.call('purgeUser', { userId: carol })).toEqual({
      userId: carol,
      object: 'chat_history.user.purged',
      deleted: { conversations: 2, items: 4, summaries: 2, responses: 3, memories: 0 },
    });
    expect((await h.call('listConversations', { userId: carol })).data).toEqual([]);
    expect(await h.callError('getResponse', { userId: carol, id: 'resp_carol_free' })).toMatchObject({
      code: 'not_found',
    });
    expect(await h.sql('SELECT 1 FROM chat_history.stored_responses WHERE user_id = $1', [carol])).toEqual([]);

    expect((await h.call('listItems', { userId: dave, conversationId: davesConv.id })).data).toHaveLength(1);
    expect(await h.call('getResponse', { userId: dave, id: 'resp_dave' })).toMatchObject({ conversationId: null });
    expect(await h.call('purgeUser', { userId: carol })).toMatchObject({
      deleted: { conversations: 0, items: 0, summaries: 0, responses: 0 },
    });
  });
});
