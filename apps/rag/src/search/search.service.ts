import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { randomUUID } from 'node:crypto';
import type { ParsedRagRpcRequest, VectorStoreSearchResult, VectorStoreSearchResultsPage } from '@llmp/contracts';
import type { VectorFilter } from '@llmp/platform';
import { ChunkIndex } from '../chunks/chunk-index.service';
import { ChunksRepository } from '../chunks/chunks.repository';
import { ragConfig } from '../config/rag.config';
import { RagEmbedder, isUsableVector } from '../embedding/rag-embedder.service';
import { RagError } from '../errors/rag.error';
import { VectorStoresRepository } from '../vector-stores/vector-stores.repository';
import { toAttributeSql, toVectorFilter } from './attribute-filter';
import { RankedList, reciprocalRankFusion } from './rrf';

/**
 * Search over the completed files of the user's vector stores.
 * - Hybrid (default; `ranker` `auto` or `default-2024-11-15`): a vector ranking (the VectorStore port, owner, stores
 *   and attribute filters inside the store query) and a keyword ranking (Postgres full text, same filters in SQL),
 *   per query, fused by reciprocal rank fusion (k = 60) weighted by `hybrid_search` (default 1 / 1). Score: the
 *   fused score over the best possible, in [0, 1].
 * - `ranker: 'none'` without `hybrid_search`: the vector ranking alone; score: cosine similarity (clipped to [0, 1]).
 * Every hit is re-read from Postgres (a chunk of a completed file, filters checked again), so a vector whose file
 * was deleted, detached or is being re-indexed is never answered.
 */
@Injectable()
export class SearchService {
  constructor(
    private readonly stores: VectorStoresRepository,
    private readonly chunks: ChunksRepository,
    private readonly embedder: RagEmbedder,
    private readonly vectors: ChunkIndex,
    @Inject(ragConfig.KEY) private readonly cfg: ConfigType<typeof ragConfig>,
  ) {}

  async search(req: ParsedRagRpcRequest<'search'>): Promise<VectorStoreSearchResultsPage> {
    const ids = [...new Set(req.vectorStoreIds)];
    const stores = await this.stores.findManyOwned(req.userId, ids);
    const missing = ids.find((id) => !stores.some((s) => s.id === id));
    if (missing !== undefined) throw RagError.notFound('vector store', 'vector_store_id');
    const queries = (Array.isArray(req.query) ? req.query : [req.query]).map((q) => q.replace(/\s+/g, ' ').trim());
    if (queries.some((q) => !q)) throw RagError.invalid('query must not be blank', 'query');

    const ranking = req.ranking_options;
    const weights = ranking?.hybrid_search
      ? { vector: ranking.hybrid_search.embedding_weight, text: ranking.hybrid_search.text_weight }
      : ranking?.ranker === 'none'
        ? { vector: 1, text: 0 }
        : { vector: 1, text: 1 };
    const cosineOnly = ranking?.ranker === 'none' && !ranking.hybrid_search;
    const threshold = ranking?.score_threshold ?? 0;
    const k = Math.max(this.cfg.searchCandidates, req.max_num_results);

    const vectorFilterBase: VectorFilter = {
      user_id: req.userId,
      vector_store_id: { $in: ids },
      ...(req.filters ? { $and: [toVectorFilter(req.filters)] } : {}),
    };
    const lists: RankedList[] = [];
    const cosine = new Map<string, number>();
    const byModel = new Map<string, string[]>();
    for (const s of stores) byModel.set(s.embeddingModel, [...(byModel.get(s.embeddingModel) ?? []), s.id]);

    // Per query, the vector rankings (one per embedding model) and the keyword ranking run at once.
    const perQuery = await Promise.all(
      queries.map(async (query) => {
        const rankings: Promise<RankedList | null>[] = [];
        if (weights.vector > 0) {
          for (const [model, storeIds] of byModel) {
            rankings.push(
              (async () => {
                const [vector] = await this.embedder.embed(model, [query], `rag-query-${randomUUID()}`);
                if (!vector || !isUsableVector(vector)) return null;
                const filter: VectorFilter = { ...vectorFilterBase, vector_store_id: { $in: storeIds } };
                const hits = await this.vectors.search(model, vector, { k, filter });
                for (const h of hits) cosine.set(h.id, Math.max(cosine.get(h.id) ?? -1, h.score));
                return { ids: hits.map((h) => h.id), weight: weights.vector };
              })(),
            );
          }
        }
        if (weights.text > 0) {
          const attributeSql = req.filters ? toAttributeSql(req.filters, 5) : null;
          rankings.push(
            this.chunks
              .keywordSearch(req.userId, ids, query, k, attributeSql)
              .then((found) => ({ ids: found, weight: weights.text })),
          );
        }
        return Promise.all(rankings);
      }),
    );
    // The lists in a fixed order (query, then vector rankings before the keyword one), whatever finished first.
    for (const found of perQuery) for (const list of found) if (list) lists.push(list);

    const ranked = cosineOnly
      ? [...cosine]
          .map(([id, score]) => ({ id, score: Math.max(0, Math.min(1, score)) }))
          .sort((a, b) => b.score - a.score)
      : reciprocalRankFusion(lists);
    const candidates = ranked.filter((r) => r.score >= threshold);
    const rows = await this.chunks.searchable(
      req.userId,
      ids,
      candidates.slice(0, req.max_num_results * 4).map((c) => c.id),
      req.filters ? toAttributeSql(req.filters, 4) : null,
    );
    const data: VectorStoreSearchResult[] = [];
    for (const c of candidates) {
      if (data.length === req.max_num_results) break;
      const row = rows.get(c.id);
      if (!row) continue;
      data.push({
        file_id: row.fileId,
        filename: row.filename,
        score: c.score,
        attributes: row.attributes ?? {},
        content: [{ type: 'text', text: row.text }],
        vector_store_id: row.vectorStoreId,
        chunk: { id: row.id, index: row.chunkIndex, start: row.charStart, end: row.charEnd },
      });
    }
    await this.stores.touch(ids);
    return {
      object: 'vector_store.search_results.page',
      search_query: queries,
      data,
      has_more: false,
      next_page: null,
    };
  }
}
