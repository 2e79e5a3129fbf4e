import { RAG_RPC } from './rag.rpc';
import { AttributeFilterSchema, VectorStoreSearchBodySchema } from './search.schemas';
import { CreateFileBatchBodySchema, StaticChunkingSchema } from './vector-stores.schemas';

const userId = '00000000-0000-4000-8000-000000000001';

describe('rag contracts', () => {
  it('takes OpenAI comparison and nested compound filters', () => {
    const f = {
      type: 'and',
      filters: [
        { type: 'eq', key: 'author', value: 'ann' },
        {
          type: 'or',
          filters: [
            { type: 'gte', key: 'year', value: 2020 },
            { type: 'in', key: 'tag', value: ['a', 1] },
          ],
        },
      ],
    };
    expect(AttributeFilterSchema.parse(f)).toEqual(f);
  });

  it('refuses list values outside in/nin and scalars for in/nin', () => {
    expect(AttributeFilterSchema.safeParse({ type: 'eq', key: 'a', value: ['x'] }).success).toBe(false);
    expect(AttributeFilterSchema.safeParse({ type: 'in', key: 'a', value: 'x' }).success).toBe(false);
    expect(AttributeFilterSchema.safeParse({ type: 'like', key: 'a', value: 'x' }).success).toBe(false);
  });

  it('defaults a search to 10 results and bounds max_num_results to 1..50', () => {
    expect(VectorStoreSearchBodySchema.parse({ query: 'cats' })).toMatchObject({ max_num_results: 10 });
    expect(VectorStoreSearchBodySchema.safeParse({ query: 'cats', max_num_results: 51 }).success).toBe(false);
    expect(VectorStoreSearchBodySchema.safeParse({ query: 'cats', max_num_results: 0 }).success).toBe(false);
    const req = RAG_RPC.search.request.parse({ userId, vectorStoreIds: ['vs_1'], query: ['a', 'b'] });
    expect(req).toMatchObject({ userId, vectorStoreIds: ['vs_1'], query: ['a', 'b'] });
  });

  it('keeps both the routing fields and the body of a file batch request', () => {
    const req = RAG_RPC.createFileBatch.request.parse({ userId, vectorStoreId: 'vs_1', file_ids: ['file-1'] });
    expect(req).toEqual({ userId, vectorStoreId: 'vs_1', file_ids: ['file-1'] });
    expect(CreateFileBatchBodySchema.safeParse({}).success).toBe(false);
    expect(CreateFileBatchBodySchema.safeParse({ file_ids: ['a'], files: [{ file_id: 'b' }] }).success).toBe(false);
  });

  it('bounds static chunking as OpenAI does', () => {
    expect(StaticChunkingSchema.safeParse({ max_chunk_size_tokens: 800, chunk_overlap_tokens: 400 }).success).toBe(
      true,
    );
    expect(StaticChunkingSchema.safeParse({ max_chunk_size_tokens: 800, chunk_overlap_tokens: 401 }).success).toBe(
      false,
    );
    expect(StaticChunkingSchema.safeParse({ max_chunk_size_tokens: 99, chunk_overlap_tokens: 0 }).success).toBe(false);
  });
});
