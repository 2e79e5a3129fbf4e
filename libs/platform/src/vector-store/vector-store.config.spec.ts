import { readVectorStoreEnv } from './vector-store.config';

describe('vector store config', () => {
  it('uses VECTOR_STORE first, then Qdrant when QDRANT_URL is set, then LanceDB', () => {
    expect(readVectorStoreEnv({}).backend).toBe('lancedb');
    expect(readVectorStoreEnv({ QDRANT_URL: 'http://qdrant:6333' })).toMatchObject({
      backend: 'qdrant',
      qdrant: { url: 'http://qdrant:6333', apiKey: undefined, timeoutMs: 30_000 },
    });
    expect(readVectorStoreEnv({ QDRANT_URL: 'http://qdrant:6333', VECTOR_STORE: 'lancedb' }).backend).toBe('lancedb');
    expect(readVectorStoreEnv({ QDRANT_URL: ' ', VECTOR_STORE: undefined }).backend).toBe('lancedb');
    expect(readVectorStoreEnv({ QDRANT_URL: 'https://q.example:443', QDRANT_API_KEY: 'k' }).qdrant).toMatchObject({
      apiKey: 'k',
    });
  });

  it('refuses qdrant without a URL and a URL that is not http(s), naming the variable', () => {
    expect(() => readVectorStoreEnv({ VECTOR_STORE: 'qdrant' })).toThrow(/QDRANT_URL: required/);
    expect(() => readVectorStoreEnv({ QDRANT_URL: 'qdrant:6333' })).toThrow(/QDRANT_URL/);
    expect(() => readVectorStoreEnv({ VECTOR_STORE: 'pinecone' })).toThrow(/VECTOR_STORE/);
  });

  it('never puts the API key into its error messages', () => {
    expect(() => readVectorStoreEnv({ QDRANT_URL: 'nope', QDRANT_API_KEY: 'sekrit' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('sekrit') }),
    );
  });
});
