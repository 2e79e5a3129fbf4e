import { randomUUID } from 'node:crypto';
import { LanceDbVectorStore } from '@llmp/platform';
import { RagHarness, settled, startRag, upload, waitFor } from './rag-harness';

/** potion-base-2m: 64 dimensions. */
const PROBE = Array.from({ length: 64 }, (_, i) => (i === 0 ? 1 : 0));
const COLLECTION = 'rag_chunks_potion_base_2m';
const TEXT = (topic: string) =>
  `Notes about ${topic}. ${topic} is a subject worth a paragraph or two of plain text, long enough to be chunked.`;

/**
 * The expiry purge (RAG_PURGE_INTERVAL_S = 1 s): expired vector stores and files go with their chunks and vectors,
 * live ones stay, and a vector deletion that failed is retried until the vectors are gone.
 */
describe('rag expiry purge (real Postgres, Redis, embedding worker, LanceDB)', () => {
  let h: RagHarness;
  let vectors: LanceDbVectorStore;
  const alice = randomUUID();

  const vectorIds = async (filter: Record<string, string>) =>
    (await vectors.search(COLLECTION, PROBE, { k: 1000, filter })).map((v) => v.id);
  const count = async (sql: string, params: unknown[]) =>
    Number((await h.sql<{ n: string }>(`SELECT count(*) AS n FROM ${sql}`, params))[0]!.n);

  /** A store with one indexed file; answers their ids. */
  async function indexedStore(topic: string, extra: { expires_after?: { anchor: 'last_active_at'; days: number } }) {
    const file = await upload(h, alice, `${topic}.txt`, TEXT(topic));
    const store = await h.call('createVectorStore', { userId: alice, name: topic, file_ids: [file.id], ...extra });
    expect(await settled(h, alice, store.id, file.id)).toMatchObject({ status: 'completed' });
    expect((await vectorIds({ vector_store_id: store.id })).length).toBeGreaterThan(0);
    return { storeId: store.id, fileId: file.id };
  }

  beforeAll(async () => {
    h = await startRag({ RAG_PURGE_INTERVAL_S: '1' });
    await h.startSibling('embedding-worker', { EMBEDDING_WORKER_MODELS: 'potion-base-2m' });
    vectors = new LanceDbVectorStore({ dir: h.vectorsDir, readConsistencyS: 0 });
  }, 180_000);

  afterAll(async () => {
    await vectors?.close();
    await h?.stop();
  });

  it('deletes an expired vector store with its files, chunks and vectors; a live one and the files stay', async () => {
    const expiring = await indexedStore('volcanoes', { expires_after: { anchor: 'last_active_at', days: 1 } });
    const live = await indexedStore('gardens', { expires_after: { anchor: 'last_active_at', days: 1 } });
    const forever = await indexedStore('rivers', {});

    // Inactive for two days: past its expires_at.
    await h.sql(`UPDATE "rag"."vector_stores" SET "last_active_at" = now() - interval '2 days' WHERE "id" = $1`, [
      expiring.storeId,
    ]);
    await waitFor(
      () =>
        h.callError('getVectorStore', { userId: alice, id: expiring.storeId }).then(
          (e) => e.code === 'not_found',
          () => false, // still there
        ),
      15_000,
      'the expired store to be purged',
    );
    expect(await count(`"rag"."vector_store_files" WHERE "vector_store_id" = $1`, [expiring.storeId])).toBe(0);
    expect(await count(`"rag"."chunks" WHERE "vector_store_id" = $1`, [expiring.storeId])).toBe(0);
    await waitFor(
      async () => (await vectorIds({ vector_store_id: expiring.storeId })).length === 0,
      10_000,
      'the expired store vectors to be removed',
    );
    // Its file is the user's, not the store's: it stays (as OpenAI's).
    expect(await h.call('getFile', { userId: alice, id: expiring.fileId })).toMatchObject({ id: expiring.fileId });

    for (const s of [live, forever]) {
      expect(await h.call('getVectorStore', { userId: alice, id: s.storeId })).toMatchObject({
        status: 'completed',
        file_counts: { completed: 1, total: 1 },
      });
      expect(await count(`"rag"."chunks" WHERE "vector_store_id" = $1`, [s.storeId])).toBeGreaterThan(0);
      expect((await vectorIds({ vector_store_id: s.storeId })).length).toBeGreaterThan(0);
    }
    const page = await h.call('search', { userId: alice, vectorStoreIds: [live.storeId], query: 'gardens' });
    expect(page.data.map((r) => r.file_id)).toContain(live.fileId);
  }, 120_000);

  it('deletes an expired file: its bytes, its attachments, chunks and vectors; other files stay', async () => {
    const store = await indexedStore('mountains', {});
    const doomed = await h.call('createFile', {
      userId: alice,
      filename: 'tides.txt',
      purpose: 'assistants',
      base64: Buffer.from(TEXT('tides')).toString('base64'),
      expires_after: { anchor: 'created_at', seconds: 3600 },
    });
    await h.call('createVectorStoreFile', { userId: alice, vectorStoreId: store.storeId, file_id: doomed.id });
    expect(await settled(h, alice, store.storeId, doomed.id)).toMatchObject({ status: 'completed' });
    expect((await vectorIds({ vector_store_id: store.storeId, file_id: doomed.id })).length).toBeGreaterThan(0);

    await h.sql(`UPDATE "rag"."files" SET "expires_at" = now() - interval '1 second' WHERE "id" = $1`, [doomed.id]);
    await waitFor(
      async () => (await count(`"rag"."files" WHERE "id" = $1`, [doomed.id])) === 0,
      15_000,
      'the expired file bytes to be purged',
    );
    expect(await h.callError('getFile', { userId: alice, id: doomed.id })).toMatchObject({ code: 'not_found' });
    expect(await count(`"rag"."chunks" WHERE "file_id" = $1`, [doomed.id])).toBe(0);
    expect(
      await h.callError('getVectorStoreFile', { userId: alice, vectorStoreId: store.storeId, fileId: doomed.id }),
    ).toMatchObject({ code: 'not_found' });
    await waitFor(
      async () => (await vectorIds({ file_id: doomed.id })).length === 0,
      10_000,
      'the expired file vectors to be removed',
    );
    // The store and its other file are untouched.
    expect(await h.call('getVectorStore', { userId: alice, id: store.storeId })).toMatchObject({
      file_counts: { completed: 1, total: 1 },
    });
    expect((await vectorIds({ vector_store_id: store.storeId, file_id: store.fileId })).length).toBeGreaterThan(0);
  }, 120_000);

  it('retries a recorded failed vector deletion until the orphan vectors are gone', async () => {
    const orphan = await indexedStore('deserts', {});
    // The store deleted in Postgres while its vector removal failed: its vectors are orphans, the failure recorded.
    await h.sql(`DELETE FROM "rag"."vector_stores" WHERE "id" = $1`, [orphan.storeId]);
    await h.sql(
      `INSERT INTO "rag"."vector_deletions" ("collection", "vector_store_id", "file_id", "last_error")
       VALUES ($1, $2, NULL, 'vector store unreachable')`,
      [COLLECTION, orphan.storeId],
    );
    await waitFor(
      async () => (await vectorIds({ vector_store_id: orphan.storeId })).length === 0,
      15_000,
      'the orphan vectors to be removed',
    );
    await waitFor(
      async () => (await count(`"rag"."vector_deletions" WHERE "vector_store_id" = $1`, [orphan.storeId])) === 0,
      5_000,
      'the failed deletion to be settled',
    );
  }, 120_000);

  it('drops a recorded file deletion whose file was attached again, keeping its new vectors', async () => {
    const { storeId, fileId } = await indexedStore('forests', {});
    const before = await vectorIds({ vector_store_id: storeId, file_id: fileId });
    await h.sql(
      `INSERT INTO "rag"."vector_deletions" ("collection", "vector_store_id", "file_id", "last_error")
       VALUES ($1, $2, $3, 'vector store unreachable')`,
      [COLLECTION, storeId, fileId],
    );
    await waitFor(
      async () => (await count(`"rag"."vector_deletions" WHERE "file_id" = $1`, [fileId])) === 0,
      15_000,
      'the superseded deletion to be dropped',
    );
    expect((await vectorIds({ vector_store_id: storeId, file_id: fileId })).sort()).toEqual(before.sort());
  }, 120_000);
});
