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
