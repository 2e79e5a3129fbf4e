import { QdrantTestServer } from './qdrant-test-server';
import { QdrantVectorStore, pointId } from './qdrant-vector-store';
import { at, describeVectorStoreConformance, record } from './vector-store.conformance';

describe('QdrantVectorStore over Qdrant REST (a local server speaking the protocol)', () => {
  let server: QdrantTestServer;
  let store: QdrantVectorStore;
  let serverUrl: string;

  beforeEach(async () => {
    server = new QdrantTestServer();
    serverUrl = await server.start();
    // Qdrant's client warns about an API key over plain http, as it should; here the server is local.
    jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    store = new QdrantVectorStore({ url: serverUrl, apiKey: 'secret-key' });
  });

  afterEach(async () => {
    await store.close();
    await server.stop();
    jest.restoreAllMocks();
  });

  it('maps record ids to stable UUID v5 point ids', () => {
    expect(pointId('a')).toBe(pointId('a'));
    expect(pointId('a')).not.toBe(pointId('b'));
    expect(pointId('msg_123')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('creates a cosine collection with payload indexes on the owner and store fields, sending the API key', async () => {
    await store.ensureCollection('memory', 4);
    const [create] = server.calls('PUT', '/collections/memory');
    expect(create!.body).toMatchObject({ vectors: { size: 4, distance: 'Cosine' } });
    expect(create!.headers['api-key']).toBe('secret-key');
    const indexes = server.calls('PUT', '/collections/memory/index').map((r) => r.body);
    expect(indexes).toEqual(
      expect.arrayContaining([
        { field_name: 'user_id', field_schema: { type: 'keyword', is_tenant: true } },
        { field_name: 'vector_store_id', field_schema: 'keyword' },
        { field_name: 'file_id', field_schema: 'keyword' },
        { field_name: 'conversation_id', field_schema: 'keyword' },
      ]),
    );
    // Another process finds it, and creates neither the collection nor the indexes again.
    const other = new QdrantVectorStore({ url: serverUrl });
    const before = server.requests.length;
    await other.ensureCollection('memory', 4);
    await other.close();
    expect(server.calls('PUT', '/collections/memory')).toHaveLength(1);
    expect(server.requests.slice(before).map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /collections/memory/exists',
      'GET /collections/memory',
    ]);
  });

  it('upserts points under UUIDs with the payload flat beside id and text, indexing new fields by type', async () => {
    await store.ensureCollection('memory', 4);
    await store.upsert('memory', [
      record('m1', 0, { user_id: 'u1', seq: 3, pinned: true, role: null }, 'hello'),
      record('m2', 90, { user_id: 'u1' }),
    ]);
    const [upsert] = server.calls('PUT', '/collections/memory/points');
    expect(upsert!.query).toMatchObject({ wait: 'true' });
    expect(upsert!.body).toEqual({
      points: [
        { id: pointId('m1'), vector: at(0), payload: { user_id: 'u1', seq: 3, pinned: true, id: 'm1', text: 'hello' } },
        { id: pointId('m2'), vector: at(90), payload: { user_id: 'u1', id: 'm2' } },
      ],
    });
    const indexed = server.calls('PUT', '/collections/memory/index').map((r) => r.body);
    expect(indexed).toEqual(
      expect.arrayContaining([
        { field_name: 'seq', field_schema: 'float' },
        { field_name: 'pinned', field_schema: 'bool' },
      ]),
    );
    expect(indexed).not.toContainEqual(expect.objectContaining({ field_name: 'role' }));
  });

  it('searches with the filter, excluded ids, limit and score threshold, and reads hits back by record id', async () => {
    await store.ensureCollection('memory', 4);
    await store.upsert('memory', [
      record('a', 0, { user_id: 'u1', vector_store_id: 'vs1', n: 2 }, 'text a'),
      record('b', 10, { user_id: 'u1', vector_store_id: 'vs2', n: 5 }),
      record('c', 20, { user_id: 'u2', vector_store_id: 'vs1', n: 1 }),
    ]);
    const hits = await store.search('memory', at(0), {
      k: 5,
      minScore: 0.5,
      excludeIds: ['c'],
      filter: {
        user_id: 'u1',
        vector_store_id: { $in: ['vs1', 'vs2'] },
        n: { $gte: 2 },
        $or: [{ n: 2 }, { n: { $ne: 9 } }],
      },
    });
    expect(hits).toEqual([
      {
        id: 'a',
        score: expect.closeTo(1, 5),
        payload: { user_id: 'u1', vector_store_id: 'vs1', n: 2 },
        text: 'text a',
      },
      {
        id: 'b',
        score: expect.closeTo(Math.cos(Math.PI / 18), 5),
        payload: { user_id: 'u1', vector_store_id: 'vs2', n: 5 },
        text: null,
      },
    ]);
    const [query] = server.calls('POST', '/collections/memory/points/query');
    expect(query!.body).toEqual({
      query: at(0),
      filter: {
        must: [
          {
            must: [
              { key: 'user_id', match: { value: 'u1' } },
              { key: 'vector_store_id', match: { any: ['vs1', 'vs2'] } },
              { key: 'n', range: { gte: 2 } },
              {
                should: [
                  { key: 'n', range: { gte: 2, lte: 2 } },
                  { must_not: [{ key: 'n', range: { gte: 9, lte: 9 } }] },
                ],
              },
            ],
          },
          { must_not: [{ has_id: [pointId('c')] }] },
        ],
      },
      limit: 5,
      score_threshold: 0.5 - 1e-6,
      with_payload: true,
      with_vector: false,
    });
  });

  it('deletes by filter and by id with counts, and updates payload by the matching point ids', async () => {
    await store.ensureCollection('memory', 4);
    await store.upsert('memory', [
      record('a', 0, { user_id: 'u1', file_id: 'f1', tag: 'x' }),
      record('b', 10, { user_id: 'u1', file_id: 'f1' }),
      record('c', 20, { user_id: 'u1', file_id: 'f2' }),
    ]);
    expect(await store.updateWhere('memory', { file_id: 'f1' }, { tag: null, rank: 3 })).toBe(2);
    const ids = [pointId('a'), pointId('b')].sort();
    expect(server.calls('POST', '/collections/memory/points/payload')[0]!.body).toEqual({
      points: ids,
      payload: { rank: 3 },
    });
    expect(server.calls('POST', '/collections/memory/points/payload/delete')[0]!.body).toEqual({
      points: ids,
      keys: ['tag'],
    });

    expect(await store.deleteWhere('memory', { user_id: 'u1', file_id: { $nin: ['f1', null] } })).toBe(1);
    const filter = {
      must: [
        { key: 'user_id', match: { value: 'u1' } },
        { must_not: [{ key: 'file_id', match: { value: 'f1' } }, { is_empty: { key: 'file_id' } }] },
      ],
    };
    expect(server.calls('POST', '/collections/memory/points/count')[0]!.body).toEqual({ filter, exact: true });
    expect(server.calls('POST', '/collections/memory/points/delete')[0]!.body).toEqual({ filter });

    expect(await store.deleteIds('memory', ['a', 'nope'])).toBe(1);
    expect(server.calls('POST', '/collections/memory/points/delete')[1]!.body).toEqual({
      points: [pointId('a'), pointId('nope')],
    });
    // A filter that can match nothing sends no request.
    const before = server.requests.length;
    expect(await store.deleteWhere('memory', { file_id: [] })).toBe(0);
    expect(server.requests.length).toBe(before);
  });

  it('fails ping when the server cannot be reached', async () => {
    await expect(store.ping()).resolves.toBeUndefined();
    const gone = new QdrantVectorStore({ url: 'http://127.0.0.1:1', timeoutMs: 2000 });
    await expect(gone.ping()).rejects.toThrow();
  });
});

// The whole conformance suite over the same protocol (the test server's model of Qdrant, not Qdrant itself).
describeVectorStoreConformance('Qdrant REST protocol (local test server)', async () => {
  const server = new QdrantTestServer();
  const url = await server.start();
  return {
    store: new QdrantVectorStore({ url }),
    another: () => new QdrantVectorStore({ url }),
    cleanup: () => server.stop(),
  };
});
