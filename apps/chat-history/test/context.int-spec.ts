import {
  ChatHistoryHarness,
  assistantMessage,
  createConversation,
  newUserId,
  startChatHistory,
  userMessage,
} from './chat-history-harness';

describe('chat-history context load and summaries (RPC)', () => {
  let h: ChatHistoryHarness;
  const alice = newUserId();

  beforeAll(async () => {
    h = await startChatHistory();
  });

  afterAll(async () => {
    await h?.stop();
  });

  async function conversationWith(n: number, systemPrompt?: string) {
    const conv = await createConversation(h, alice, { system_prompt: systemPrompt });
    for (let i = 1; i <= n; i += 2) {
      await h.call('createItems', {
        userId: alice,
        conversationId: conv.id,
        items: [userMessage(`u${i}`), assistantMessage(`a${i + 1}`)].slice(0, Math.min(2, n - i + 1)),
      });
    }
    return conv;
  }

  it('loads the system prompt and every turn, chronological with seq, without a summary', async () => {
    const conv = await conversationWith(4, 'Speak like a pirate.');
    const ctx = await h.call('loadContext', { userId: alice, conversationId: conv.id });
    expect(ctx).toEqual({
      conversation: { id: conv.id, system_prompt: 'Speak like a pirate.' },
      summary: null,
      turns: [
        expect.objectContaining({ seq: 1, role: 'user', content: [{ type: 'input_text', text: 'u1' }] }),
        expect.objectContaining({ seq: 2, role: 'assistant' }),
        expect.objectContaining({ seq: 3, role: 'user' }),
        expect.objectContaining({
          seq: 4,
          role: 'assistant',
          content: [{ type: 'output_text', text: 'a4', annotations: [] }],
        }),
      ],
      memories: [],
    });
  });

  it('after a stored summary returns only the later turns, and the newest summary wins', async () => {
    const conv = await conversationWith(6);
    const first = await h.call('storeSummary', {
      userId: alice,
      conversationId: conv.id,
      text: 'They greeted.',
      throughSeq: 2,
    });
    expect(first).toEqual({
      id: expect.stringMatching(/^sum_/),
      object: 'conversation.summary',
      conversation_id: conv.id,
      text: 'They greeted.',
      through_seq: 2,
      created_at: expect.any(Number),
    });
    let ctx = await h.call('loadContext', { userId: alice, conversationId: conv.id });
    expect(ctx.summary).toEqual({ id: first.id, text: 'They greeted.', through_seq: 2 });
    expect(ctx.turns.map((t) => t.seq)).toEqual([3, 4, 5, 6]);

    const second = await h.call('storeSummary', {
      userId: alice,
      conversationId: conv.id,
      text: 'More.',
      throughSeq: 4,
    });
    ctx = await h.call('loadContext', { userId: alice, conversationId: conv.id });
    expect(ctx.summary).toEqual({ id: second.id, text: 'More.', through_seq: 4 });
    expect(ctx.turns.map((t) => t.seq)).toEqual([5, 6]);

    // The same throughSeq again answers the first summary (a retried job stores once).
    expect(await h.call('storeSummary', { conversationId: conv.id, text: 'Other text', throughSeq: 4 })).toEqual(
      second,
    );
  });

  it('returns at most maxTurns of the newest turns', async () => {
    const conv = await conversationWith(6);
    const ctx = await h.call('loadContext', { userId: alice, conversationId: conv.id, maxTurns: 3 });
    expect(ctx.turns.map((t) => t.seq)).toEqual([4, 5, 6]);
    expect(await h.callError('loadContext', { userId: alice, conversationId: conv.id, maxTurns: 0 })).toMatchObject({
      code: 'invalid_request',
      param: 'maxTurns',
    });
  });

  it('refuses a summary beyond the newest item, and for an unknown conversation', async () => {
    const conv = await conversationWith(2);
    expect(
      await h.callError('storeSummary', { userId: alice, conversationId: conv.id, text: 'x', throughSeq: 3 }),
    ).toMatchObject({ code: 'invalid_request', param: 'throughSeq' });
    expect(
      await h.callError('storeSummary', { conversationId: 'conv_missing', text: 'x', throughSeq: 1 }),
    ).toMatchObject({ code: 'not_found', param: 'conversationId' });
    expect(
      await h.callError('storeSummary', { userId: alice, conversationId: conv.id, text: '', throughSeq: 1 }),
    ).toMatchObject({ code: 'invalid_request', param: 'text' });
  });
});
