import { z } from 'zod';
import type { Attributes } from './vector-stores.schemas';

/** OpenAI's attribute filters (`Shared.ComparisonFilter` / `Shared.CompoundFilter`). */
export const ComparisonFilterSchema = z.object({
  type: z.enum(['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'nin']),
  key: z.string().min(1).max(64),
  value: z.union([z.string(), z.number().finite(), z.boolean(), z.array(z.union([z.string(), z.number().finite()]))]),
});
export type ComparisonFilter = z.infer<typeof ComparisonFilterSchema>;

export interface CompoundFilter {
  type: 'and' | 'or';
  filters: (ComparisonFilter | CompoundFilter)[];
}
export type AttributeFilter = ComparisonFilter | CompoundFilter;

/** Deepest nesting of compound filters accepted. */
export const MAX_FILTER_DEPTH = 8;

export const CompoundFilterSchema: z.ZodType<CompoundFilter> = z.lazy(() =>
  z.object({
    type: z.enum(['and', 'or']),
    filters: z
      .array(z.union([ComparisonFilterSchema, CompoundFilterSchema]))
      .min(1)
      .max(64),
  }),
);

export const AttributeFilterSchema: z.ZodType<AttributeFilter> = z
  .union([ComparisonFilterSchema, CompoundFilterSchema])
  .superRefine((f, ctx) => {
    const depth = (x: AttributeFilter): number => ('filters' in x ? 1 + Math.max(0, ...x.filters.map(depth)) : 0);
    if (depth(f) > MAX_FILTER_DEPTH) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `filters may nest at most ${MAX_FILTER_DEPTH} deep` });
    }
  })
  .superRefine((f, ctx) => {
    const check = (x: AttributeFilter): void => {
      if ('filters' in x) return x.filters.forEach(check);
      const list = Array.isArray(x.value);
      if ((x.type === 'in' || x.type === 'nin') !== list) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          message: list ? `an array value needs type in or nin, not ${x.type}` : `type ${x.type} needs an array value`,
        });
      }
    };
    check(f);
  });

export const RankingOptionsSchema = z.object({
  /**
   * `auto` and `default-2024-11-15`: hybrid (vector + keyword, reciprocal rank fusion). `none`: vector similarity
   * only, the score being the cosine similarity (see apps/rag/README.md).
   */
  ranker: z.enum(['none', 'auto', 'default-2024-11-15']).default('auto'),
  score_threshold: z.number().min(0).max(1).default(0),
  /** Weights of the embedding and keyword rankings in the fusion (default 1 and 1); both 0 is refused. */
  hybrid_search: z
    .object({ embedding_weight: z.number().min(0).max(1000), text_weight: z.number().min(0).max(1000) })
    .refine((w) => w.embedding_weight + w.text_weight > 0, { message: 'at least one weight must be positive' })
    .optional(),
});
export type RankingOptions = z.infer<typeof RankingOptionsSchema>;

export const MAX_SEARCH_QUERY_CHARS = 4096;

export const VectorStoreSearchBodySchema = z.object({
  query: z.union([
    z.string().min(1).max(MAX_SEARCH_QUERY_CHARS),
    z.array(z.string().min(1).max(MAX_SEARCH_QUERY_CHARS)).min(1).max(10),
  ]),
  max_num_results: z.number().int().min(1).max(50).default(10),
  filters: AttributeFilterSchema.optional(),
  ranking_options: RankingOptionsSchema.optional(),
  /** Accepted; no model rewrites queries here: the query is searched as given (whitespace normalised). */
  rewrite_query: z.boolean().default(false),
});
export type VectorStoreSearchBody = z.input<typeof VectorStoreSearchBodySchema>;

export interface VectorStoreSearchResult {
  file_id: string;
  filename: string;
  /** In [0, 1]: normalised fused rank (hybrid) or cosine similarity (`ranker: none`). */
  score: number;
  attributes: Attributes | null;
  content: { type: 'text'; text: string }[];
  /** Platform extension (standard clients ignore it): where the text sits, for citations. */
  vector_store_id: string;
  chunk: { id: string; index: number; start: number; end: number };
}

export interface VectorStoreSearchResultsPage {
  object: 'vector_store.search_results.page';
  search_query: string[];
  data: VectorStoreSearchResult[];
  has_more: false;
  next_page: null;
}
