import { randomUUID } from 'node:crypto';
import type { VectorStoreFileObject } from '@llmp/contracts';
import { LanceDbVectorStore } from '@llmp/platform';
import { RagHarness, settled, startRag, upload, waitFor } from './rag-harness';

const CATS = `# My pets

My cat is named Biscuit and she loves tuna. Every morning Biscuit sits on the windowsill and watches the birds.
She is a tabby with green eyes, and she purrs loudly when she is brushed.`;
const VOLCANO = `Volcanoes form where magma from the mantle reaches the surface of the Earth. Mount Etna in Sicily is
one of the most active volcanoes in the world; its eruptions send lava flows down its slopes.`;
const BREAD = `To bake sourdough bread, mix flour, water, salt and an active starter. Let the dough rise overnight in a
cool place, shape it, and bake it in a very hot oven until the crust is dark and crisp.

A starter is a living culture of wild yeast and lactic acid bacteria. Feed it flour and water every day, keep it
at room temperature, and it will double in size within a few hours when it is ready to leaven the dough.

Rye and whole wheat flours ferment faster than white flour. A longer cold proof in the refrigerator gives the
loaf a more sour taste, a more open crumb and a crust that blisters beautifully in the oven.`;
/** potion-base-2m: 64 dimensions. */
const PROBE = Array.from({ length: 64 }, (_, i) => (i === 0 ? 1 : 0));
const COLLECTION = 'rag_chunks_potion_base_2m';

/**
 * The rag service over RPC, as the gateway calls it, with a real embedding worker (potion-base-2m): files →
 * vector store → attach → ingest → hybrid search with filters, per-user isolation, re-ingest, failures, deletion.
 */
describe('rag service RPC (real Postgres, Redis, embedding worker, LanceDB)', () => {
  let h: RagHarness;
  let vectors: LanceDbVectorStore;
  const alice = randomUUID();
  const bob = randomUUID();
  let storeId: string;
  const ids: Record<string, string> = {};

  const storedVectors = async (filter: Record<string, string>) =>
    (await vectors.search(COLLECTION, PROBE, { k: 1000, filter })).map((v) => v.id);

  beforeAll(async () => {
    // Small embedding batches, so a long file's ingest reports several steps of progress.
    h = await startRag({ RAG_FILE_MAX_BYTES: '100000', RAG_EMBED_BATCH: '4' });
    await h.startSibling('embedding-worker', { EMBEDDING_WORKER_MODELS: 'potion-base-2m' });
    vectors = new LanceDbVectorStore({ dir: h.vectorsDir, readConsistencyS: 0 });

    ids.cats = (await upload(h, alice, 'cats.md', CATS)).id;
    ids.volcano = (await upload(h, alice, 'volcano.txt', VOLCANO)).id;
    ids.bread = (await upload(h, alice, 'bread.txt', BREAD)).id;
    const store = await h.call('createVectorStore', { userId: alice, name: 'notes', file_ids: [ids.cats] });
    storeId = store.id;
    expect(store).toMatchObject({ object: 'vector_store', name: 'notes', file_counts: { in_progress: 1, total: 1 } });
    await h.call('updateVectorStoreFile', {
      userId: alice,
      vectorStoreId: storeId,
      fileId: ids.cats,
      attributes: { topic: 'pets', year: 2021 },
    });
    const batch = await h.call('createFileBatch', {
      userId: alice,
      vectorStoreId: storeId,
      files: [
        { file_id: ids.volcano, attributes: { topic: 'geology', year: 2019 } },
        {
          file_id: ids.bread,
          attributes: { topic: 'food', year: 2023 },
          chunking_strategy: { type: 'static', static: { max_chunk_size_tokens: 100, chunk_overlap_tokens: 20 } },
        },
      ],
    });
    expect(batch).toMatchObject({ object: 'vector_store.files_batch', file_counts: { total: 2 } });
    for (const id of [ids.cats, ids.volcano, ids.bread]) {
      expect(await settled(h, alice, storeId, id)).toMatchObject({ status: 'completed', last_error: null });
    }
    expect(await h.call('getFileBatch', { userId: alice, vectorStoreId: storeId, batchId: batch.id })).toMatchObject({
      status: 'completed',
      file_counts: { in_progress: 0, completed: 2, failed: 0, cancelled: 0, total: 2 },
    });
  }, 180_000);

  afterAll(async () => {
    await vectors?.close();
    await h?.stop();
  });

  it('reports exact file counts, usage and the chunking of each file', async () => {
    const store = await h.call('getVectorStore', { userId: alice, id: storeId });
    expect(store).toMatchObject({
      status: 'completed',
      file_counts: { in_progress: 0, completed: 3, failed: 0, cancelled: 0, total: 3 },
    });
    expect(store.usage_bytes).toBeGreaterThanOrEqual(CATS.length + VOLCANO.length + BREAD.length - 10);
    const file = await h.call('getVectorStoreFile', { userId: alice, vectorStoreId: storeId, fileId: ids.bread });
    expect(file).toMatchObject({
      chunking_strategy: { type: 'static', static: { max_chunk_size_tokens: 100, chunk_overlap_tokens: 20 } },
    });
    const cats = await h.call('getVectorStoreFile', { userId: alice, vectorStoreId: storeId, fileId: ids.cats });
    expect(cats.chunking_strategy.static).toEqual({ max_chunk_size_tokens: 800, chunk_overlap_tokens: 400 });
    const content = await h.call('getVectorStoreFileContent', {
      userId: alice,
      vectorStoreId: storeId,
      fileId: ids.cats,
    });
    expect(content.data.map((d) => d.text).join(' ')).toContain('Biscuit');
  });

  it('finds a file by meaning and by keyword with hybrid search, scores in [0, 1]', async () => {
    const page = await h.call('search', { userId: alice, vectorStoreIds: [storeId], query: 'What is my cat called?' });
    expect(page.object).toBe('vector_store.search_results.page');
    expect(page.search_query).toEqual(['What is my cat called?']);
    expect(page.data[0]).toMatchObject({
      file_id: ids.cats,
      filename: 'cats.md',
      attributes: { topic: 'pets', year: 2021 },
    });
    for (const r of page.data) {
      expect(r.score).toBeGreaterThanOrEqual(0);
      expect(r.score).toBeLessThanOrEqual(1);
    }
    const keyword = await h.call('search', {
      userId: alice,
      vectorStoreIds: [storeId],
      query: 'Etna',
      ranking_options: { hybrid_search: { embedding_weight: 0, text_weight: 1 } },
    });
    expect(keyword.data.map((r) => r.file_id)).toEqual([ids.volcano]);
    const vectorOnly = await h.call('search', {
      userId: alice,
      vectorStoreIds: [storeId],
      query: 'baking a loaf in the oven',
      ranking_options: { ranker: 'none' },
      max_num_results: 1,
    });
    expect(vectorOnly.data).toHaveLength(1);
    expect(vectorOnly.data[0]!.file_id).toBe(ids.bread);
    const strict = await h.call('search', {
      userId: alice,
      vectorStoreIds: [storeId],
      query: 'cat',
      ranking_options: { score_threshold: 0.99 },
    });
    for (const r of strict.data) expect(r.score).toBeGreaterThanOrEqual(0.99);
  });

  it('applies comparison and compound attribute filters inside both rankings', async () => {
    const files = async (filters: unknown, query = 'cat Biscuit volcano bread') =>
      (await h.call('search', { userId: alice, vectorStoreIds: [storeId], query, filters: filters as never })).data
        .map((r) => r.file_id)
        .filter((v, i, a) => a.indexOf(v) === i)
        .sort();
    expect(await files({ type: 'eq', key: 'topic', value: 'pets' })).toEqual([ids.cats]);
    expect(
      await files({
        type: 'or',
        filters: [
          { type: 'eq', key: 'topic', value: 'geology' },
          { type: 'gte', key: 'year', value: 2023 },
        ],
      }),
    ).toEqual([ids.volcano, ids.bread].sort());
    expect(
      await files({
        type: 'and',
        filters: [
          { type: 'nin', key: 'topic', value: ['food'] },
          { type: 'lt', key: 'year', value: 2022 },
        ],
      }),
    ).toEqual([ids.cats, ids.volcano].sort());
    expect(await files({ type: 'eq', key: 'year', value: '2021' })).toEqual([]);
    // New attributes are searched at once.
    await h.call('updateVectorStoreFile', {
      userId: alice,
      vectorStoreId: storeId,
      fileId: ids.volcano,
      attributes: { topic: 'pets' },
    });
    expect(await files({ type: 'eq', key: 'topic', value: 'pets' })).toEqual([ids.cats, ids.volcano].sort());
    await h.call('updateVectorStoreFile', {
      userId: alice,
      vectorStoreId: storeId,
      fileId: ids.volcano,
      attributes: { topic: 'geology', year: 2019 },
    });
  });

  it("keeps users apart: another user's ids are not found and never in results", async () => {
    const bobFile = await upload(h, bob, 'bob-cat.txt', 'My cat Biscuit is actually named Whiskers.');
    const bobStore = await h.call('createVectorStore', { userId: bob, file_ids: [bobFile.id] });
    await settled(h, bob, bobStore.id, bobFile.id);

    expect(await h.callError('getVectorStore', { userId: bob, id: storeId })).toMatchObject({ code: 'not_found' });
    expect(await h.callError('getFile', { userId: bob, id: ids.cats })).toMatchObject({ code: 'not_found' });
    expect(await h.callError('search', { userId: bob, vectorStoreIds: [storeId], query: 'cat' })).toMatchObject({
      code: 'not_found',
      param: 'vector_store_id',
    });
    expect(
      await h.callError('createVectorStoreFile', { userId: bob, vectorStoreId: bobStore.id, file_id: ids.cats }),
    ).toMatchObject({ code: 'not_found', param: 'file_id' });
    expect(
      await h.callError('getVectorStoreFile', { userId: bob, vectorStoreId: storeId, fileId: ids.cats }),
    ).toMatchObject({ code: 'not_found' });

    const alices = await h.call('search', { userId: alice, vectorStoreIds: [storeId], query: 'Whiskers cat Biscuit' });
    expect(alices.data.map((r) => r.file_id)).not.toContain(bobFile.id);
    const bobs = await h.call('search', {
      userId: bob,
      vectorStoreIds: [bobStore.id],
      query: 'Biscuit tuna windowsill',
    });
    expect(bobs.data.map((r) => r.file_id)).toEqual([bobFile.id]);
    expect((await h.call('listFiles', { userId: bob })).data.map((f) => f.id)).toEqual([bobFile.id]);
  });

  it('re-ingests a file attached again without storing any chunk twice', async () => {
    const count = async () =>
      (
        await h.sql<{ n: number }>(
          `SELECT count(*)::int AS n FROM "rag"."chunks" WHERE "vector_store_id" = $1 AND "file_id" = $2`,
          [storeId, ids.bread],
        )
      )[0]!.n;
    const before = await count();
    const vectorsBefore = (await storedVectors({ vector_store_id: storeId, file_id: ids.bread })).length;
    expect(before).toBeGreaterThan(1);
    expect(vectorsBefore).toBe(before);
    const again = await h.call('createVectorStoreFile', {
      userId: alice,
      vectorStoreId: storeId,
      file_id: ids.bread,
      chunking_strategy: { type: 'static', static: { max_chunk_size_tokens: 100, chunk_overlap_tokens: 20 } },
    });
    expect(again.status).toBe('in_progress');
    await settled(h, alice, storeId, ids.bread);
    expect(await count()).toBe(before);
    expect((await storedVectors({ vector_store_id: storeId, file_id: ids.bread })).length).toBe(vectorsBefore);
    expect((await h.call('getVectorStore', { userId: alice, id: storeId })).file_counts.total).toBe(3);
  });

  it('reports the ingest progress of a file while it is indexed, chunk by chunk', async () => {
    const words = ['river', 'mountain', 'harbor', 'orchard', 'lantern', 'meadow', 'glacier', 'canyon', 'prairie'];
    const long = Array.from(
      { length: 900 },
      (_, i) => `Sentence ${i} tells of the ${words[i % words.length]} near the ${words[(i * 7) % words.length]}.`,
    ).join(' ');
    const file = await upload(h, alice, 'long.txt', long);
    // A store of its own, so the shared store's counts stay what the other tests expect.
    const own = await h.call('createVectorStore', { userId: alice, name: 'long' });
    const attach = { userId: alice, vectorStoreId: own.id, fileId: file.id };
    await h.call('createVectorStoreFile', {
      userId: alice,
      vectorStoreId: own.id,
      file_id: file.id,
      chunking_strategy: { type: 'static', static: { max_chunk_size_tokens: 100, chunk_overlap_tokens: 0 } },
    });
    const seen: NonNullable<VectorStoreFileObject['progress']>[] = [];
    let last = await h.call('getVectorStoreFile', attach);
    while (last.status === 'in_progress') {
      if (last.progress) seen.push(last.progress);
      last = await h.call('getVectorStoreFile', attach);
    }
    expect(last).toMatchObject({ status: 'completed' });
    expect(last.progress).toBeUndefined();
    // Some view caught it mid-embedding, with the chunk count known and the share between the stages' bounds.
    const mid = seen.filter((p) => p.stage === 'embedding' && p.chunks_total && p.chunks_embedded > 0);
    expect(mid.length).toBeGreaterThan(0);
    for (const p of mid) {
      expect(p.chunks_embedded).toBeLessThanOrEqual(p.chunks_total!);
      expect(p.fraction).toBeGreaterThan(0.1);
      expect(p.fraction).toBeLessThanOrEqual(0.9);
    }
    // Never backwards.
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.fraction).toBeGreaterThanOrEqual(seen[i - 1]!.fraction);
  });

  it('fails a broken file with a readable last_error and indexes nothing of it', async () => {
    const broken = await upload(h, alice, 'broken.pdf', Buffer.from('%PDF-1.7 this is not really a pdf'));
    const empty = await upload(h, alice, 'empty.txt', '   \n  ');
    const binary = await upload(h, alice, 'program.exe', Buffer.from([0x4d, 0x5a, 0x90, 0x00, 0x03]));
    for (const f of [broken, empty, binary]) {
      await h.call('createVectorStoreFile', { userId: alice, vectorStoreId: storeId, file_id: f.id });
    }
    const failed = await settled(h, alice, storeId, broken.id);
    expect(failed.status).toBe('failed');
    expect(failed.last_error?.code).toBe('invalid_file');
    expect(failed.last_error?.message.length).toBeGreaterThan(5);
    expect((await settled(h, alice, storeId, empty.id)).last_error?.code).toBe('invalid_file');
    expect((await settled(h, alice, storeId, binary.id)).last_error?.code).toBe('unsupported_file');
    const rows = await h.sql(`SELECT 1 FROM "rag"."chunks" WHERE "file_id" = ANY($1)`, [
      [broken.id, empty.id, binary.id],
    ]);
    expect(rows).toHaveLength(0);
    expect(
      await h.call('listVectorStoreFiles', { userId: alice, vectorStoreId: storeId, filter: 'failed' }),
    ).toMatchObject({ data: expect.arrayContaining([expect.objectContaining({ id: broken.id })]) });
    expect((await h.call('getVectorStore', { userId: alice, id: storeId })).file_counts).toMatchObject({
      completed: 3,
      failed: 3,
      total: 6,
    });
  });

  it('ingests a file whose enqueue was lost after the commit (the sweep enqueues it)', async () => {
    const file = await upload(h, alice, 'lost.txt', 'The lighthouse keeper polished the brass lamp every evening.');
    // As if the attach committed and Redis failed before its job was added: a row in progress, no job.
    await h.sql(
      `INSERT INTO "rag"."vector_store_files" ("vector_store_id", "file_id", "user_id", "status",
         "max_chunk_size_tokens", "chunk_overlap_tokens", "ingest_id", "next_check_at")
       VALUES ($1, $2, $3, 'in_progress', 800, 400, $4, now())`,
      [storeId, file.id, alice, randomUUID()],
    );
    expect(await settled(h, alice, storeId, file.id)).toMatchObject({ status: 'completed' });
    const page = await h.call('search', { userId: alice, vectorStoreIds: [storeId], query: 'lighthouse keeper' });
    expect(page.data[0]?.file_id).toBe(file.id);
    await h.call('deleteVectorStoreFile', { userId: alice, vectorStoreId: storeId, fileId: file.id });
  });

  it('refuses an upload beyond RAG_FILE_MAX_BYTES with payload_too_large', async () => {
    const big = Buffer.alloc(100_001, 'a').toString('base64');
    expect(
      await h.callError('createFile', { userId: alice, filename: 'big.txt', purpose: 'assistants', base64: big }),
    ).toMatchObject({ code: 'payload_too_large', param: 'file' });
  });

  it('removes chunks and vectors on delete: a search right after never returns them', async () => {
    await h.call('deleteVectorStoreFile', { userId: alice, vectorStoreId: storeId, fileId: ids.cats });
    const page = await h.call('search', {
      userId: alice,
      vectorStoreIds: [storeId],
      query: 'Biscuit the cat loves tuna',
    });
    expect(page.data.map((r) => r.file_id)).not.toContain(ids.cats);
    expect(await storedVectors({ file_id: ids.cats })).toEqual([]);

    await h.call('deleteFile', { userId: alice, id: ids.volcano });
    const after = await h.call('search', { userId: alice, vectorStoreIds: [storeId], query: 'Etna volcano lava' });
    expect(after.data.map((r) => r.file_id)).not.toContain(ids.volcano);
    expect(await storedVectors({ file_id: ids.volcano })).toEqual([]);
    expect(await h.callError('getFile', { userId: alice, id: ids.volcano })).toMatchObject({ code: 'not_found' });

    const deleted = await h.call('deleteVectorStore', { userId: alice, id: storeId });
    expect(deleted).toEqual({ id: storeId, object: 'vector_store.deleted', deleted: true });
    expect(await storedVectors({ vector_store_id: storeId })).toEqual([]);
    expect(await h.sql(`SELECT 1 FROM "rag"."chunks" WHERE "vector_store_id" = $1`, [storeId])).toHaveLength(0);
  });

  it('purges every file and vector store of a user', async () => {
    const purged = await h.call('purgeUser', { userId: bob });
    expect(purged).toEqual({ files: 1, vector_stores: 1 });
    expect((await h.call('listVectorStores', { userId: bob })).data).toEqual([]);
    await waitFor(async () => (await storedVectors({ user_id: bob })).length === 0, 5000, "bob's vectors to go");
  });
});
