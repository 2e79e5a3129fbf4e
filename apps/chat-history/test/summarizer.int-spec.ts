import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { CHAT_HISTORY_QUEUE, ConversationContext, inferenceQueueName } from '@llmp/contracts';
import {
  ChatHistoryHarness,
  assistantMessage,
  createConversation,
  newUserId,
  startChatHistory,
  userMessage,
  waitFor,
} from './chat-history-harness';

/**
 * The summary job end to end: appends past CHAT_SUMMARY_TRIGGER_ITEMS enqueue `conversation.summarize.v1`, whose
 * processor asks the real stories260k model through a real inference worker (`chat.complete.v1` without a reply
 * channel) and stores the answer as the conversation's summary.
 */
describe('chat-history summarizer (real inference worker)', () => {
  let h: ChatHistoryHarness;
  const alice = newUserId();

  beforeAll(async () => {
    h = await startChatHistory({
      CHAT_SUMMARY_TRIGGER_ITEMS: '4',
      CHAT_VERBATIM_KEEP_ITEMS: '2',
      CHAT_SUMMARY_MAX_TOKENS: '24',
      CHAT_SUMMARY_MODEL: 'stories260k',
    });
    await h.startSibling('inference-worker', { WORKER_MODELS: 'stories260k' }, 90_000);
  }, 120_000);

  afterAll(async () => {
    await h?.stop();
  });

  async function append(conversationId: string, texts: string[]) {
    await h.call('createItems', {
      userId: alice,
      conversationId,
      items: texts.map((t, i) => (i % 2 ? assistantMessage(t) : userMessage(t))),
    });
  }

  const contextWithSummary = (conversationId: string, throughSeq: number) =>
    waitFor<ConversationContext>(
      async () => {
        const ctx = await h.call('loadContext', { userId: alice, conversationId });
        return ctx.summary && ctx.summary.through_seq >= throughSeq ? ctx : null;
      },
      30_000,
      `a summary through seq ${throughSeq}`,
    );

  it('summarizes all but the newest items once the trigger is passed, then rolls the summary forward', async () => {
    const conv = await createConversation(h, alice);
    await append(conv.id, ['Lily had a red ball.', 'She played in the park.', 'A dog came by.']);
    // 3 items: not past the trigger (4).
    await new Promise((r) => setTimeout(r, 500));
    expect((await h.call('loadContext', { userId: alice, conversationId: conv.id })).summary).toBeNull();

    await append(conv.id, ['The dog wanted the ball.', 'Lily shared the ball.']);
    // 5 items > 4: everything but the newest 2 (seq 1..3) is summarized.
    const ctx = await contextWithSummary(conv.id, 3);
    expect(ctx.summary!.through_seq).toBe(3);
    expect(ctx.summary!.text.length).toBeGreaterThan(0);
    expect(ctx.turns.map((t) => t.seq)).toEqual([4, 5]);
    const [row] = await h.sql<{ model: string }>(
      'SELECT model FROM chat_history.conversation_summaries WHERE conversation_id = $1',
      [conv.id],
    );
    expect(row!.model).toBe('stories260k');

    // Three more: 5 items after seq 3 > 4, so the next summary reaches seq 6 (8 minus the newest 2).
    await append(conv.id, ['They ran home.', 'Mom made soup.', 'Everyone was happy.']);
    const rolled = await contextWithSummary(conv.id, 6);
    expect(rolled.summary!.through_seq).toBe(6);
    expect(rolled.turns.map((t) => t.seq)).toEqual([7, 8]);
    const summaries = await h.sql<{ through_seq: number }>(
      'SELECT through_seq FROM chat_history.conversation_summaries WHERE conversation_id = $1 ORDER BY through_seq',
      [conv.id],
    );
    expect(summaries.map((s) => s.through_seq)).toEqual([3, 6]);
  }, 90_000);

  it('asks once per summary: appends while a summary is pending do not enqueue more jobs', async () => {
    const connection = new Redis(h.redisUrl, { maxRetriesPerRequest: null });
    const inference = new Queue(inferenceQueueName('stories260k'), { connection, prefix: h.prefix });
    const history = new Queue(CHAT_HISTORY_QUEUE, { connection, prefix: h.prefix });
    try {
      const conv = await createConversation(h, alice);
      // Hold the model’s queue so the summary stays pending while more items arrive: the 5th append asks for a
      // summary through seq 3; the 6th and 7th leave 4 items after it, not past the trigger, so they ask nothing.
      await inference.pause();
      for (let i = 0; i < 7; i++) await append(conv.id, [`line ${i}`]);
      const jobsOf = async () =>
        (await history.getJobs(['completed', 'failed', 'waiting', 'active', 'delayed']))
          .filter((j) => j.name === 'conversation.summarize.v1' && j.data.conversationId === conv.id)
          .map((j) => j.id);
      expect(await jobsOf()).toEqual([`summarize-${conv.id}-3`]);
      expect((await h.call('loadContext', { userId: alice, conversationId: conv.id })).summary).toBeNull();

      await inference.resume();
      const ctx = await contextWithSummary(conv.id, 3);
      expect(ctx.summary!.through_seq).toBe(3);
      expect(ctx.turns.map((t) => t.seq)).toEqual([4, 5, 6, 7]);
      expect(await jobsOf()).toEqual([`summarize-${conv.id}-3`]);
    } finally {
      await inference.resume().catch(() => undefined);
      await inference.close();
      await history.close();
      connection.disconnect();
    }
  }, 60_000);
});
