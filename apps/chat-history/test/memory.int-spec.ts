import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { CHAT_HISTORY_QUEUE, ConversationContext, memoryIndexJobId } from '@llmp/contracts';
import { LanceDbVectorStore, VectorFilter } from '@llmp/platform';
import {
  ChatHistoryHarness,
  assistantMessage,
  createConversation,
  newUserId,
  startChatHistory,
  userMessage,
  waitFor,
} from './chat-history-harness';

const FACT = 'My cat is named Biscuit and she loves tuna';
const QUESTION = 'What is my cat called?';
const FILLER = [
  'How do I bake sourdough bread at home?',
  'Mix flour, water and starter, let it rise overnight, then bake it hot.',
  'What is the capital of Australia?',
  'The capital of Australia is Canberra.',
];
/** potion-base-2m: 64 dimensions. Any non-zero vector lists a collection's records with a large k. */
const PROBE = Array.from({ length: 64 }, (_, i) => (i === 0 ? 1 : 0));

/**
 * Conversation memory with a real embedding worker (potion-base-2m): every stored message is embedded through the
 * `embedding-potion-base-2m` queue into the LanceDB collection `chat_memory`; loadContext with a query recalls the
 * user's messages by meaning; deleting a conversation, an item or a user, or a conversation expiring, removes the
 * vectors (checked in the store itself, through a second LanceDB handle on the app's directory).
 */
describe('chat-history memory (real embedding worker, LanceDB)', () => {
  let h: ChatHistoryHarness;
  let vectors: LanceDbVectorStore;

  beforeAll(async () => {
    h = await startChatHistory({ CHAT_SUMMARY_TRIGGER_ITEMS: '0', CHAT_PURGE_INTERVAL_S: '1' });
    await h.startSibling('embedding-worker', { EMBEDDING_WORKER_MODELS: 'potion-base-2m' });
    vectors = new LanceDbVectorStore({ dir: h.vectorsDir, readConsistencyS: 0 });
  }, 120_000);

  afterAll(async () => {
    await vectors?.close();
    await h?.stop();
  });

  const stored = async (filter: VectorFilter) =>
    (await vectors.search('chat_memory', PROBE, { k: 1000, filter })).map((v) => v.id);

  const ask = (userId: string, conversationId: string, extra: { recall?: { k?: number; minScore?: number } } = {}) =>
    h.call('loadContext', { userId, conversationId, query: QUESTION, ...extra });

  /** A conversation whose first message states the fact, followed by filler turns; resolves once it is indexed. */
  async function conversationWithFact(userId: string, fact = FACT) {
    const conv = await createConversation(h, userId, { items: [userMessage(fact), assistantMessage('Noted!')] });
    await h.call('createItems', {
      userId,
      conversationId: conv.id,
      items: FILLER.map((t, i) => (i % 2 ? assistantMessage(t) : userMessage(t))),
    });
    const items = await h.call('listItems', { userId, conversationId: conv.id, order: 'asc', limit: 100 });
    await waitFor(
      async () => (await stored({ conversation_id: conv.id })).length === items.data.length,
      30_000,
      `the ${items.data.length} messages of ${conv.id} to be indexed`,
    );
    return { conv, factItemId: items.data[0]!.id! };
  }

  it('indexes every message and recalls the fact from another conversation of the same user', async () => {
    const alice = newUserId();
    const { conv, factItemId } = await conversationWithFact(alice);
    const later = await createConversation(h, alice, { items: [userMessage('Hello again')] });

    const ctx = await ask(alice, later.id);
    expect(ctx.memories[0]).toMatchObject({ id: factItemId, text: FACT });
    expect(ctx.memories[0]!.score).toBeGreaterThan(0.35);
    // Unrelated filler is below the threshold.
    expect(ctx.memories.map((m) => m.text)).not.toContain(FILLER[2]);

    // Payload: who, where, which item, which role, which model.
    const [hit] = await vectors.search('chat_memory', PROBE, { k: 1, filter: { item_id: factItemId } });
    expect(hit!.payload).toEqual({
      user_id: alice,
      conversation_id: conv.id,
      item_id: factItemId,
      role: 'user',
      model: 'potion-base-2m',
    });

    // Without a query, with k 0 or with a threshold nothing reaches: no memories.
    expect((await h.call('loadContext', { userId: alice, conversationId: later.id })).memories).toEqual([]);
    expect((await ask(alice, later.id, { recall: { k: 0 } })).memories).toEqual([]);
    expect((await ask(alice, later.id, { recall: { minScore: 0.99 } })).memories).toEqual([]);
  });

  it('never recalls a turn the context already holds verbatim, nor another user’s messages', async () => {
    const bob = newUserId();
    const { conv, factItemId } = await conversationWithFact(bob);
    const inPlace: ConversationContext = await ask(bob, conv.id);
    expect(inPlace.turns.map((t) => t.id)).toContain(factItemId);
    expect(inPlace.memories.map((m) => m.id)).not.toContain(factItemId);
    // The same question elsewhere recalls it: it was left out because it is already there.
    const elsewhere = await createConversation(h, bob);
    expect((await ask(bob, elsewhere.id)).memories.map((m) => m.id)).toContain(factItemId);

    const carol = newUserId();
    const carols = await createConversation(h, carol, { items: [userMessage('I have no pets.')] });
    expect((await ask(carol, carols.id)).memories).toEqual([]);
  });

  it('deleting a conversation or an item deletes its vectors; other conversations keep theirs', async () => {
    const dave = newUserId();
    const { conv } = await conversationWithFact(dave);
    const other = await conversationWithFact(dave, 'My dog is called Rex and he likes bones');
    const probe = await createConversation(h, dave);

    await h.call('deleteConversation', { userId: dave, id: conv.id });
    expect(await stored({ conversation_id: conv.id })).toEqual([]);
    expect(await stored({ conversation_id: other.conv.id })).toHaveLength(6);
    expect((await ask(dave, probe.id)).memories.map((m) => m.text)).not.toContain(FACT);

    await h.call('deleteItem', { userId: dave, conversationId: other.conv.id, itemId: other.factItemId });
    expect(await stored({ item_id: other.factItemId })).toEqual([]);
    expect(await stored({ conversation_id: other.conv.id })).toHaveLength(5);
  });

  it('purging a user deletes all their vectors and says how many', async () => {
    const erin = newUserId();
    const frank = newUserId();
    await conversationWithFact(erin);
    await conversationWithFact(erin, 'My favourite football team is Arsenal.');
    const franks = await conversationWithFact(frank);

    const purged = await h.call('purgeUser', { userId: erin });
    expect(purged.deleted).toMatchObject({ conversations: 2, items: 12, memories: 12 });
    expect(await stored({ user_id: erin })).toEqual([]);
    expect(await stored({ user_id: frank })).toHaveLength(6);
    expect((await ask(frank, franks.conv.id, { recall: { k: 4 } })).turns).toHaveLength(6);
  });

  it('an expired conversation loses its vectors when the purge job deletes it', async () => {
    const gina = newUserId();
    const conv = await createConversation(h, gina, { ttl_seconds: 4, items: [userMessage(FACT)] });
    await waitFor(async () => (await stored({ conversation_id: conv.id })).length === 1, 3000, 'the message indexed');
    await waitFor(
      async () => (await h.sql('SELECT 1 FROM chat_history.conversations WHERE id = $1', [conv.id])).length === 0,
      15_000,
      'the purge job to delete the expired conversation',
    );
    // The purge deletes the rows, then the vectors of the conversations it deleted: wait for that second step.
    await waitFor(async () => (await stored({ conversation_id: conv.id })).length === 0, 5000, 'its vectors deleted');
    expect(await stored({ conversation_id: conv.id })).toEqual([]);
  });
});

describe('chat-history memory without an embedding worker', () => {
  let h: ChatHistoryHarness;

  beforeAll(async () => {
    h = await startChatHistory({ CHAT_SUMMARY_TRIGGER_ITEMS: '0', CHAT_RECALL_TIMEOUT_MS: '5000' });
  });

  afterAll(async () => {
    await h?.stop();
  });

  it('answers at once, with no memories, and keeps the index job waiting instead of failing it', async () => {
    const alice = newUserId();
    const conv = await createConversation(h, alice, { items: [userMessage(FACT)] });
    const started = Date.now();
    const ctx = await h.call('loadContext', { userId: alice, conversationId: conv.id, query: QUESTION });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(ctx.memories).toEqual([]);
    expect(ctx.turns).toHaveLength(1);

    const connection = new Redis(h.redisUrl, { maxRetriesPerRequest: null });
    const queue = new Queue(CHAT_HISTORY_QUEUE, { connection, prefix: h.prefix });
    try {
      const jobId = memoryIndexJobId([ctx.turns[0]!.id]);
      await waitFor(async () => (await queue.getJobState(jobId)) === 'delayed', 10_000, 'the index job to wait');
      expect((await queue.getJob(jobId))!.attemptsMade).toBe(0);
    } finally {
      await queue.close();
      connection.disconnect();
    }
  });

  it('gives up on an embedding worker that does not answer after CHAT_RECALL_TIMEOUT_MS, and answers anyway', async () => {
    const connection = new Redis(h.redisUrl, { maxRetriesPerRequest: null });
    // Takes the job and never finishes it.
    const stuck = new Worker('embedding-potion-base-2m', () => new Promise<never>(() => undefined), {
      connection,
      prefix: h.prefix,
    });
    try {
      await stuck.waitUntilReady();
      await new Promise((r) => setTimeout(r, 1500)); // past chat-history's cached "no worker"
      const alice = newUserId();
      const conv = await createConversation(h, alice, { items: [userMessage('Hello')] });
      const started = Date.now();
      const ctx = await h.call('loadContext', { userId: alice, conversationId: conv.id, query: QUESTION });
      expect(Date.now() - started).toBeGreaterThanOrEqual(4900);
      expect(Date.now() - started).toBeLessThan(9000);
      expect(ctx.memories).toEqual([]);
      expect(ctx.turns).toHaveLength(1);
    } finally {
      await stuck.close(true);
      connection.disconnect();
    }
  });
});
