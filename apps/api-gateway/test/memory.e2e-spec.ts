// End-to-end: conversation memory. Auth, chat-history, an inference worker (stories260k, which also writes the
// summaries), an embedding worker (potion-base-2m) and the gateway run as real processes; the official `openai`
// package drives them. A fact stated 30 turns back, beyond the verbatim window and inside the summary, is recalled
// by meaning into the dry-run prompt; deleting the conversation, or all of a user's data, deletes its vectors.
import OpenAI from 'openai';
import { LanceDbVectorStore, VectorFilter } from '@llmp/platform';
import { RunningPlatform, createApiKey, registerUser, startPlatform } from '@llmp/testing';

jest.setTimeout(180_000);

const MODEL = 'stories260k';
const FACT = 'My cat is named Biscuit and she loves tuna';
const QUESTION = 'What is my cat called?';
const FILLER: [string, string][] = [
  ['How do I bake sourdough bread at home?', 'Mix flour, water and starter, let it rise overnight, then bake it.'],
  ['What is the capital of Australia?', 'The capital of Australia is Canberra.'],
  ['Can you recommend a good running shoe?', 'Look for a light shoe with good cushioning for long runs.'],
  ['Tell me about the history of the Roman empire.', 'Rome grew from a city state into an empire over centuries.'],
  ['What is the weather like in spring?', 'Spring brings milder days, rain showers and blooming flowers.'],
  ['How does a bicycle gear system work?', 'Gears change how far the wheel turns for each turn of the pedals.'],
  ['Which planet is the largest?', 'Jupiter is the largest planet in the solar system.'],
  ['How do volcanoes form?', 'Magma rises through cracks in the crust and erupts at the surface.'],
  ['What should I pack for a beach holiday?', 'Sunscreen, a hat, swimwear and plenty of water.'],
  ['How do I learn to play chess?', 'Start with how the pieces move, then study simple openings.'],
];

interface DryRun {
  prompt: string;
  context: {
    summary_id: string | null;
    memories: { id: string; score: number | null }[];
    verbatim_item_ids: string[];
  };
}

let platform: RunningPlatform;
let alice: OpenAI;
let vectors: LanceDbVectorStore;

beforeAll(async () => {
  platform = await startPlatform({
    chatHistory: true,
    rag: true,
    workerModels: MODEL,
    embeddingWorker: true,
    embeddingWorkerEnv: { EMBEDDING_WORKER_MODELS: 'potion-base-2m' },
    chatHistoryEnv: { CHAT_SUMMARY_TRIGGER_ITEMS: '20', CHAT_VERBATIM_KEEP_ITEMS: '10', CHAT_SUMMARY_MAX_TOKENS: '48' },
  });
  alice = new OpenAI({ baseURL: `${platform.gateway.url}/v1`, apiKey: platform.apiKey });
  vectors = new LanceDbVectorStore({ dir: platform.env.VECTOR_STORE_DIR!, readConsistencyS: 0 });
});

afterAll(async () => {
  await vectors?.close();
  await platform?.stop();
});

async function dryRun(client: OpenAI, conversationId: string, question = QUESTION): Promise<DryRun> {
  const res = await client.chat.completions.create({
    model: MODEL,
    messages: [{ role: 'user', content: question }],
    max_tokens: 16,
    conversation_id: conversationId,
    dry_run: true,
  } as never);
  return res as unknown as DryRun;
}

async function until<T>(probe: () => Promise<T | null>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Record ids in the vector store itself (potion-base-2m: 64 dimensions; any non-zero vector lists them). */
async function storedVectors(filter: VectorFilter): Promise<string[]> {
  const probe = Array.from({ length: 64 }, (_, i) => (i === 0 ? 1 : 0));
  return (await vectors.search('chat_memory', probe, { k: 1000, filter })).map((h) => h.id);
}

async function userId(token: string): Promise<string> {
  const res = await fetch(`${platform.gateway.url}/v1/auth/me`, { headers: { authorization: `Bearer ${token}` } });
  return ((await res.json()) as { id: string }).id;
}

describe('conversation memory', () => {
  let conversationId: string;
  let factItemId: string;

  it('recalls a fact stated 30 turns back, beyond the verbatim window, into the dry-run prompt', async () => {
    const conv = await alice.conversations.create({
      items: [
        { type: 'message', role: 'user', content: FACT },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Noted!' }] } as never,
      ],
    });
    conversationId = conv.id;
    factItemId = (await alice.conversations.items.list(conv.id, { order: 'asc' })).data[0]!.id!;
    for (let turn = 0; turn < 30; turn++) {
      const [question, answer] = FILLER[turn % FILLER.length]!;
      await alice.conversations.items.create(conv.id, {
        items: [
          { type: 'message', role: 'user', content: `${question} (${turn + 1})` },
          { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: answer }] } as never,
        ],
      });
    }

    // The summaries (stories260k) and the memory index (potion-base-2m) are written in the background.
    const dry = await until(async () => {
      const d = await dryRun(alice, conv.id);
      return d.context.summary_id && d.context.memories.some((m) => m.id === factItemId) ? d : null;
    }, 'a summary of the old turns and the fact in memory');

    expect(dry.prompt).toContain(FACT);
    expect(dry.prompt).toContain(QUESTION);
    const memory = dry.context.memories.find((m) => m.id === factItemId)!;
    expect(memory.score).toBeGreaterThan(0.35);
    expect(dry.context.verbatim_item_ids).not.toContain(factItemId);
    expect(dry.context.verbatim_item_ids.length).toBeGreaterThanOrEqual(10);
    expect(dry.context.summary_id).toMatch(/^\S+$/);
    // A question about something else recalls nothing of it.
    const other = await dryRun(alice, conv.id, 'Which planet is the largest?');
    expect(other.context.memories.map((m) => m.id)).not.toContain(factItemId);
  });

  it('deleting the conversation deletes its vectors: a new conversation no longer recalls the fact', async () => {
    const bobToken = await registerUser(platform.gateway.url, `bob${Date.now().toString(36)}`, 'Bob-strong-pass-1');
    const bob = new OpenAI({
      baseURL: `${platform.gateway.url}/v1`,
      apiKey: await createApiKey(platform.gateway.url, bobToken, { name: 'bob' }),
    });
    const bobsConv = await bob.conversations.create({
      items: [{ type: 'message', role: 'user', content: 'My cat is called Pepper and she loves fish' }],
    });
    const bobsFact = (await bob.conversations.items.list(bobsConv.id)).data[0]!.id!;
    const bobAsks = await bob.conversations.create({});
    await until(async () => {
      const d = await dryRun(bob, bobAsks.id);
      return d.context.memories.some((m) => m.id === bobsFact) ? d : null;
    }, "bob's fact in memory");

    const fresh = await alice.conversations.create({});
    // Before: alice's fact is recalled in her new conversation, never in bob's.
    expect((await dryRun(alice, fresh.id)).context.memories.map((m) => m.id)).toContain(factItemId);
    expect((await dryRun(bob, bobAsks.id)).prompt).not.toContain('Biscuit');

    await alice.conversations.delete(conversationId);
    expect(await storedVectors({ conversation_id: conversationId })).toEqual([]);
    const after = await dryRun(alice, fresh.id);
    expect(after.context.memories.map((m) => m.id)).not.toContain(factItemId);
    expect(after.prompt).not.toContain('Biscuit');

    // Bob's memory is untouched, until he deletes all his data.
    const bobs = await dryRun(bob, bobAsks.id);
    expect(bobs.context.memories.map((m) => m.id)).toContain(bobsFact);
    expect(bobs.prompt).toContain('Pepper');
    const bobId = await userId(bobToken);
    expect(await storedVectors({ user_id: bobId })).toEqual([bobsFact]);
    const res = await fetch(`${platform.gateway.url}/v1/me/data`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${bobToken}` },
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { deleted: { memories: number } }).deleted.memories).toBe(1);
    expect(await storedVectors({ user_id: bobId })).toEqual([]);
  });
});
