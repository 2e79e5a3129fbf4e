import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LanceDbVectorStore } from './lancedb-vector-store';
import { at, describeVectorStoreConformance, record } from './vector-store.conformance';

/** Every byte of every file under dir, as latin1 text (to look for a stored string). */
function allBytes(dir: string): string {
  let out = '';
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    out += statSync(path).isDirectory() ? allBytes(path) : readFileSync(path).toString('latin1');
  }
  return out;
}

describeVectorStoreConformance('LanceDB (embedded, in a temp dir)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmp-vectors-'));
  return {
    store: new LanceDbVectorStore({ dir, compactAfterDeleteMs: 60_000, keepVersionsMs: 0 }),
    another: () => new LanceDbVectorStore({ dir }),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

describe('LanceDbVectorStore (embedded LanceDB in a temp dir)', () => {
  let dir: string;
  let store: LanceDbVectorStore;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'llmp-vectors-'));
    store = new LanceDbVectorStore({ dir, compactAfterDeleteMs: 60_000, keepVersionsMs: 0 });
    await store.ensureCollection('memory', 4);
  });

  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('takes deleted text off the disk at compaction', async () => {
    await store.upsert(
      'memory',
      Array.from({ length: 20 }, (_, i) =>
        record(`r${i}`, i, { user_id: i < 10 ? 'alice' : 'bob' }, `secret-${i}-text`),
      ),
    );
    expect(await store.deleteWhere('memory', { user_id: 'alice' })).toBe(10);
    expect(allBytes(dir)).toContain('secret-4-text');
    await store.compact('memory');
    const bytes = allBytes(dir);
    expect(bytes).not.toContain('secret-4-text');
    expect(bytes).toContain('secret-15-text');
    expect(await store.search('memory', at(0), { k: 100 })).toHaveLength(10);
  });

  it('stays fast to search after many small writes (compacted every few writes)', async () => {
    const small = new LanceDbVectorStore({ dir, compactEveryWrites: 10 });
    try {
      for (let i = 0; i < 25; i++) await small.upsert('memory', [record(`w${i}`, i, { user_id: 'u' })]);
      const hits = await small.search('memory', at(0), { k: 30, filter: { user_id: 'u' } });
      expect(hits).toHaveLength(25);
      expect(hits[0]!.id).toBe('w0');
    } finally {
      await small.close();
    }
  });
});

describe('LanceDbVectorStore approximate index (annMinRows)', () => {
  const DIMS = 16;
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'llmp-vectors-ann-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Deterministic clustered vectors: real embeddings cluster by topic, which is what IVF partitions exploit. */
  function vectors(n: number): number[][] {
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5;
    const centers = Array.from({ length: 20 }, () => Array.from({ length: DIMS }, rand));
    return Array.from({ length: n }, (_, i) => centers[i % 20]!.map((x) => x + rand() * 0.3));
  }

  /** The vector index as LanceDB reports it: its name and its segments (1 after a build, 1 more per compaction). */
  async function vectorIndex(): Promise<{ name: string; segments: number } | null> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const lancedb = require('@lancedb/lancedb') as typeof import('@lancedb/lancedb');
    const table = await (await lancedb.connect(dir)).openTable('big');
    const index = (await table.listIndices()).find((i) => i.columns.includes('vector'));
    if (!index) return null;
    return { name: index.name, segments: (await table.indexStats(index.name))?.numIndices ?? 0 };
  }
  const hasVectorIndex = async (): Promise<boolean> => (await vectorIndex()) !== null;

  async function until(what: () => Promise<boolean>, ms = 60_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await what()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  }

  it('builds an IVF-PQ index past annMinRows, and search through it still finds the nearest, filtered', async () => {
    const store = new LanceDbVectorStore({ dir, annMinRows: 3000 });
    await store.ensureCollection('big', DIMS);
    const vs = vectors(4000);
    const rows = vs.map((v, i) => ({ id: `r${i}`, vector: v, payload: { user_id: i % 2 ? 'odd' : 'even' } }));
    for (let i = 0; i < rows.length; i += 1000) await store.upsert('big', rows.slice(i, i + 1000));
    // The index builds in the background after the write that crossed the threshold.
    await until(hasVectorIndex);
    expect(await vectorIndex()).toEqual({ name: 'vector_ivfpq_p16', segments: 1 });
    // Reopened (the partitions read back), every probe finds itself first, and the filter holds.
    await store.close();
    const reopened = new LanceDbVectorStore({ dir, annMinRows: 3000 });
    let self = 0;
    for (const i of [1, 3, 501, 1777, 3999]) {
      const hits = await reopened.search('big', vs[i]!, { k: 5, filter: { user_id: 'odd' } });
      expect(hits.every((h) => h.payload.user_id === 'odd')).toBe(true);
      if (hits[0]?.id === `r${i}`) self++;
    }
    expect(self).toBeGreaterThanOrEqual(4);
    await reopened.close();
  }, 120_000);

  it('never indexes below annMinRows, nor with annMinRows 0', async () => {
    const store = new LanceDbVectorStore({ dir, annMinRows: 0 });
    await store.ensureCollection('big', DIMS);
    await store.upsert(
      'big',
      vectors(3000).map((v, i) => ({ id: `r${i}`, vector: v, payload: {} })),
    );
    await new Promise((r) => setTimeout(r, 1500));
    expect(await hasVectorIndex()).toBe(false);
    await store.close();
  });
});
