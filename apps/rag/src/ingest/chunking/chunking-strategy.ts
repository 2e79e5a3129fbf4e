import type { ChunkOptions } from './chunk-text';

/** OpenAI's `chunking_strategy` of vector store files. */
export type ChunkingStrategy =
  { type: 'auto' } | { type: 'static'; static: { max_chunk_size_tokens: number; chunk_overlap_tokens: number } };

/** OpenAI's documented default for `auto`. */
export const AUTO_CHUNKING = { maxTokens: 800, overlapTokens: 400 } as const satisfies ChunkOptions;
export const STATIC_MIN_TOKENS = 100;
export const STATIC_MAX_TOKENS = 4096;

/**
 * Chunk sizes for a strategy (absent: `auto`), as OpenAI defines them: `static` takes `max_chunk_size_tokens`
 * 100–4096 and `chunk_overlap_tokens` from 0 to half of it (a RangeError otherwise). When the embedding model takes
 * fewer tokens per input (`modelMaxTokens`, minus the `specialTokens` it adds), the chunk size is lowered to that,
 * and the overlap to at most half of it: a chunk the model cannot embed would fail the whole file.
 */
export function resolveChunkOptions(
  strategy: ChunkingStrategy | undefined,
  model?: { maxTokens: number; specialTokens?: number },
): ChunkOptions {
  let opts: ChunkOptions = AUTO_CHUNKING;
  if (strategy?.type === 'static') {
    const { max_chunk_size_tokens: max, chunk_overlap_tokens: overlap } = strategy.static;
    if (!Number.isInteger(max) || max < STATIC_MIN_TOKENS || max > STATIC_MAX_TOKENS) {
      throw new RangeError(
        `max_chunk_size_tokens must be an integer from ${STATIC_MIN_TOKENS} to ${STATIC_MAX_TOKENS}`,
      );
    }
    if (!Number.isInteger(overlap) || overlap < 0 || overlap > max / 2) {
      throw new RangeError('chunk_overlap_tokens must be an integer from 0 to half of max_chunk_size_tokens');
    }
    opts = { maxTokens: max, overlapTokens: overlap };
  }
  if (!model) return opts;
  const limit = Math.max(1, model.maxTokens - (model.specialTokens ?? 0));
  if (opts.maxTokens <= limit) return opts;
  return { maxTokens: limit, overlapTokens: Math.min(opts.overlapTokens, Math.floor(limit / 2)) };
}
