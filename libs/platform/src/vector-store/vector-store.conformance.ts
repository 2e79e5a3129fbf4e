import type { VectorRecord, VectorSearchOptions, VectorStore } from './vector-store';
import { VectorStoreErrorCode } from './vector-store.error';

/** A unit vector at `degrees` from the x axis in the xy plane (4 dimensions): cosine similarities are known. */
export function at(degrees: number): number[] {
  const r = (degrees * Math.PI) / 180;
  return [Math.cos(r), Math.sin(r), 0, 0];
}

export function record(id: string, degrees: number, payload: VectorRecord['payload'], text?: string): VectorRecord {
  return { id, vector: at(degrees), payload, text };
}

/** One backend under test: a fresh, empty store, and a way to throw away what it wrote. */
export interface ConformanceBackend {
  store: VectorStore;
  /** Another store on the same data, as another process would open it (closed by the test). */
  another(): VectorStore;
  /** Called after `store.close()`: removes the test's data (a temp directory, the test's collections). */
  cleanup(): Promise<void>;
}

/**
 * The behaviour every `VectorStore` backend shares, as the port documents it: run for each backend from its own
 * int-spec (`describeFn`: `describe.skip` where the backend cannot run here). Each test starts with an empty
 * 4-dimensional collection `memory`.
 */
export function describeVectorStoreConformance(
  name: string,
  factory: () => Promise<ConformanceBackend>,
  describeFn: jest.Describe = describe,
): void {
  describeFn(`VectorStore conformance: ${name}`, () => {
    let backend: ConformanceBackend;
    let store: VectorStore;

    beforeEach(async () => {
      backend = await factory();
      store = backend.store;
      await store.ensureCollection('memory', 4);
    });

    afterEach(async () => {
      await store.close();
      await backend.cleanup();
    });

    it('filters inside the search with comparison operators and nested $and/$or', async () => {
      await store.upsert('memory', [
        record('a', 10, { user_id: 'u1', year: 2019, tag: 'x' }),
        record('b', 20, { user_id: 'u1', year: 2021, tag: 'y' }),
        record('c', 30, { user_id: 'u1', year: 2023 }),
        record('d', 5, { user_id: 'u2', year: 2023, tag: 'x' }),
      ]);
      const ids = async (filter: VectorSearchOptions['filter']) =>
        (await store.search('memory', at(0), { k: 10, filter })).map((h) => h.id).sort();
      expect(await ids({ user_id: 'u1', year: { $gte: 2021 } })).toEqual(['b', 'c']);
      expect(await ids({ user_id: 'u1', tag: { $ne: 'x' } })).toEqual(['b', 'c']);
      expect(await ids({ user_id: 'u1', tag: { $nin: ['x', 'y'] } })).toEqual(['c']);
      expect(await ids({ user_id: 'u1', $or: [{ tag: 'x' }, { year: { $gt: 2022 } }] })).toEqual(['a', 'c']);
      expect(await ids({ $and: [{ user_id: { $in: ['u1', 'u2'] } }, { year: { $lt: 2020 } }] })).toEqual(['a']);
      // The owner condition holds whatever the rest says.
      expect(await ids({ user_id: 'u2', $or: [{ tag: 'x' }, { tag: 'y' }] })).toEqual(['d']);
      expect(await ids({ user_id: 'u1', $or: [] })).toEqual([]);
    });

    it('updates payload fields of the matching records, adding and clearing fields', async () => {
      await store.upsert('memory', [
        record('a', 10, { user_id: 'u1', file_id: 'f1', tag: 'x' }, 'text a'),
        record('b', 20, { user_id: 'u1', file_id: 'f1' }),
        record('c', 30, { user_id: 'u1', file_id: 'f2', tag: 'x' }),
      ]);
      expect(await store.updateWhere('memory', { file_id: 'f1' }, { tag: null, rank: 3 })).toBe(2);
      const hits = await store.search('memory', at(0), { k: 10 });
      expect(hits.find((h) => h.id === 'a')).toMatchObject({ payload: { user_id: 'u1', file_id: 'f1', rank: 3 } });
      expect(hits.find((h) => h.id === 'a')!.payload.tag).toBeUndefined();
      expect(hits.find((h) => h.id === 'a')!.text).toBe('text a');
      expect(hits.find((h) => h.id === 'c')!.payload).toEqual({ user_id: 'u1', file_id: 'f2', tag: 'x' });
      expect(
        (await store.search('memory', at(0), { k: 10, filter: { rank: { $gte: 3 } } })).map((h) => h.id).sort(),
      ).toEqual(['a', 'b']);
      await expect(store.updateWhere('memory', {}, { rank: 1 })).rejects.toMatchObject({
        code: VectorStoreErrorCode.InvalidArgument,
      });
    });

    it('returns the nearest records first, with cosine similarity, payload and text', async () => {
      await store.upsert('memory', [
        record('far', 80, { user_id: 'u1', n: 2, flag: false }, 'far text'),
        record('near', 10, { user_id: 'u1', n: 1, flag: true }, 'near text'),
        record('mid', 45, { user_id: 'u1' }),
        record('opposite', 180, { user_id: 'u1' }),
      ]);
      const hits = await store.search('memory', Float32Array.from(at(0)), { k: 3 });
      expect(hits.map((h) => h.id)).toEqual(['near', 'mid', 'far']);
      expect(hits[0]!.score).toBeCloseTo(Math.cos((10 * Math.PI) / 180), 5);
      expect(hits[1]!.score).toBeCloseTo(Math.SQRT1_2, 5);
      expect(hits[0]).toMatchObject({ payload: { user_id: 'u1', n: 1, flag: true }, text: 'near text' });
      // Null and absent payload fields are left out; no text reads back as null.
      expect(hits[1]).toMatchObject({ payload: { user_id: 'u1' }, text: null });

      const scored = await store.search('memory', at(0), { k: 10, minScore: 0.5 });
      expect(scored.map((h) => h.id)).toEqual(['near', 'mid']);
      expect((await store.search('memory', at(0), { k: 10 })).at(-1)).toMatchObject({ id: 'opposite' });
      expect((await store.search('memory', at(0), { k: 10 })).at(-1)!.score).toBeCloseTo(-1, 5);
    });

    it('filters on payload equality, any-of lists and null before ranking, and leaves out excluded ids', async () => {
      await store.upsert('memory', [
        record('a', 0, { user_id: 'alice', conversation_id: 'c1' }),
        record('b', 5, { user_id: "o'brien", conversation_id: 'c2' }),
        record('c', 10, { user_id: 'alice', conversation_id: 'c3' }),
        record('d', 15, { user_id: 'alice' }),
      ]);
      const ids = async (opts: VectorSearchOptions) => (await store.search('memory', at(0), opts)).map((h) => h.id);
      expect(await ids({ k: 10, filter: { user_id: 'alice' } })).toEqual(['a', 'c', 'd']);
      // k applies after the filter: the two nearest of alice's, not of everyone's.
      expect(await ids({ k: 2, filter: { user_id: 'alice' }, excludeIds: ['a'] })).toEqual(['c', 'd']);
      expect(await ids({ k: 10, filter: { user_id: "o'brien" } })).toEqual(['b']);
      expect(await ids({ k: 10, filter: { user_id: "x' OR '1'='1" } })).toEqual([]);
      expect(await ids({ k: 10, filter: { conversation_id: ['c1', 'c3'] } })).toEqual(['a', 'c']);
      expect(await ids({ k: 10, filter: { conversation_id: null } })).toEqual(['d']);
      expect(await ids({ k: 10, filter: { never_stored: 'x' } })).toEqual([]);
      expect(await ids({ k: 10, excludeIds: ['a', "it's"] })).toEqual(['b', 'c', 'd']);
    });

    it('leaves out a long exclusion list too (skipped after the search) and still returns k hits', async () => {
      await store.upsert(
        'memory',
        Array.from({ length: 40 }, (_, i) => record(`r${i}`, i * 2, { user_id: i % 2 ? 'odd' : 'even' })),
      );
      const nearest = Array.from({ length: 25 }, (_, i) => `r${i}`);
      const hits = await store.search('memory', at(0), { k: 3, excludeIds: nearest });
      expect(hits.map((h) => h.id)).toEqual(['r25', 'r26', 'r27']);
      const even = await store.search('memory', at(0), { k: 2, excludeIds: nearest, filter: { user_id: 'even' } });
      expect(even.map((h) => h.id)).toEqual(['r26', 'r28']);
      const scored = await store.search('memory', at(0), {
        k: 10,
        excludeIds: nearest,
        minScore: Math.cos((53 * Math.PI) / 180),
      });
      expect(scored.map((h) => h.id)).toEqual(['r25', 'r26']);
    });

    it('upserts by id, adds payload fields as they first appear, and checks their types', async () => {
      await store.upsert('memory', [record('a', 0, { user_id: 'u1' }, 'first')]);
      await store.upsert('memory', [record('a', 90, { user_id: 'u1', role: 'user', seq: 7 }, 'second')]);
      const [hit] = await store.search('memory', at(90), { k: 10 });
      expect(hit).toMatchObject({ id: 'a', text: 'second', payload: { user_id: 'u1', role: 'user', seq: 7 } });
      expect(hit!.score).toBeCloseTo(1, 5);
      expect(await store.search('memory', at(90), { k: 10, filter: { seq: 7 } })).toHaveLength(1);

      await expect(store.upsert('memory', [record('b', 0, { seq: 'seven' })])).rejects.toMatchObject({
        code: VectorStoreErrorCode.InvalidArgument,
      });
      await expect(store.upsert('memory', [record('b', 0, { 'bad name': 1 })])).rejects.toMatchObject({
        code: VectorStoreErrorCode.InvalidArgument,
      });
      await expect(store.upsert('memory', [{ id: 'b', vector: [1, 0, 0], payload: {} }])).rejects.toMatchObject({
        code: VectorStoreErrorCode.DimensionMismatch,
      });
      await expect(store.upsert('nowhere', [record('b', 0, {})])).rejects.toMatchObject({
        code: VectorStoreErrorCode.UnknownCollection,
      });
    });

    it('keeps the dimension of a collection and has no hits where there is nothing to find', async () => {
      await expect(store.ensureCollection('memory', 8)).rejects.toMatchObject({
        code: VectorStoreErrorCode.DimensionMismatch,
      });
      await store.ensureCollection('memory', 4);
      expect(await store.search('missing', at(0), { k: 3 })).toEqual([]);
      await store.upsert('memory', [record('a', 0, {})]);
      expect(await store.search('memory', [0, 0, 0, 0], { k: 3 })).toEqual([]);
      await expect(store.search('memory', [1, 0], { k: 3 })).rejects.toMatchObject({
        code: VectorStoreErrorCode.DimensionMismatch,
      });

      // Another process (here: another store on the same backend) sees the collection and its records.
      const other = backend.another();
      try {
        await expect(other.ensureCollection('memory', 8)).rejects.toMatchObject({
          code: VectorStoreErrorCode.DimensionMismatch,
        });
        expect((await other.search('memory', at(0), { k: 3 })).map((h) => h.id)).toEqual(['a']);
      } finally {
        await other.close();
      }
    });

    it('deletes by filter and by id, counting what was deleted', async () => {
      await store.upsert(
        'memory',
        Array.from({ length: 20 }, (_, i) =>
          record(`r${i}`, i, { user_id: i < 10 ? 'alice' : 'bob', conversation_id: `c${i % 3}` }, `text-${i}`),
        ),
      );
      expect(await store.deleteWhere('memory', { user_id: 'alice', conversation_id: 'c0' })).toBe(4);
      expect(await store.deleteWhere('memory', { user_id: 'nobody' })).toBe(0);
      expect(await store.deleteWhere('missing', { user_id: 'alice' })).toBe(0);
      await expect(store.deleteWhere('memory', {})).rejects.toMatchObject({
        code: VectorStoreErrorCode.InvalidArgument,
      });
      expect(await store.deleteIds('memory', ['r1', 'r2', 'nope', "r'"])).toBe(2);
      expect(await store.deleteIds('memory', ['r1'])).toBe(0);
      const left = await store.search('memory', at(0), { k: 100, filter: { user_id: 'alice' } });
      expect(left.map((h) => h.id).sort()).toEqual(['r4', 'r5', 'r7', 'r8']);
      expect(await store.deleteWhere('memory', { user_id: 'alice', conversation_id: { $ne: 'c1' } })).toBe(2);
      expect(await store.deleteWhere('memory', { conversation_id: ['c1', 'c2'], user_id: 'bob' })).toBe(7);
      expect((await store.search('memory', at(0), { k: 100 })).map((h) => h.id).sort()).toEqual([
        'r12',
        'r15',
        'r18',
        'r4',
        'r7',
      ]);
    });

    it('compares strings by code point, inside searches, deletes and updates', async () => {
      await store.upsert('memory', [
        record('a', 0, { user_id: 'u1', title: 'apple' }),
        record('b', 10, { user_id: 'u1', title: 'banana' }),
        record('c', 20, { user_id: 'u1', title: 'cherry' }),
        record('d', 30, { user_id: 'u1' }),
        record('e', 40, { user_id: 'u2', title: 'zebra' }),
      ]);
      const ids = async (filter: VectorSearchOptions['filter'], k = 10) =>
        (await store.search('memory', at(0), { k, filter })).map((h) => h.id);
      expect(await ids({ user_id: 'u1', title: { $gt: 'apple' } })).toEqual(['b', 'c']);
      expect(await ids({ title: { $gte: 'banana', $lt: 'cherry' } })).toEqual(['b']);
      expect(await ids({ $or: [{ title: { $lte: 'apple' } }, { title: { $gt: 'y' } }] })).toEqual(['a', 'e']);
      expect(await ids({ title: { $gt: 'a' } }, 2)).toEqual(['a', 'b']);
      expect(await ids({ title: { $gt: 1 } })).toEqual([]);
      expect(await store.updateWhere('memory', { title: { $gte: 'c' } }, { late: true })).toBe(2);
      expect(await ids({ late: true })).toEqual(['c', 'e']);
      expect(await store.deleteWhere('memory', { user_id: 'u1', title: { $lt: 'b' } })).toBe(1);
      expect(await ids({ user_id: 'u1' })).toEqual(['b', 'c', 'd']);
    });

    it('updates with a filter on the fields it changes, and keeps records of other values', async () => {
      await store.upsert('memory', [
        record('a', 0, { user_id: 'u1', tag: 'x', rank: 1 }),
        record('b', 10, { user_id: 'u1', tag: 'y', rank: 1 }),
      ]);
      expect(await store.updateWhere('memory', { tag: 'x' }, { tag: 'z', rank: null })).toBe(1);
      expect(await store.updateWhere('memory', { tag: 'nope' }, { rank: 5 })).toBe(0);
      expect(await store.updateWhere('memory', { tag: 'y' }, {})).toBe(0);
      expect(await store.updateWhere('missing', { tag: 'y' }, { rank: 2 })).toBe(0);
      const hits = await store.search('memory', at(0), { k: 10 });
      expect(hits.map((h) => [h.id, h.payload])).toEqual([
        ['a', { user_id: 'u1', tag: 'z' }],
        ['b', { user_id: 'u1', tag: 'y', rank: 1 }],
      ]);
      await expect(store.updateWhere('memory', { tag: 'y' }, { rank: 'high' })).rejects.toMatchObject({
        code: VectorStoreErrorCode.InvalidArgument,
      });
    });

    it('answers ping while the backend is reachable', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}
