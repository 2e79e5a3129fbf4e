export type { ChunkTokenizer } from './chunk-tokenizer';
export { chunkText, type Chunk, type ChunkOptions } from './chunk-text';
export {
  AUTO_CHUNKING,
  STATIC_MAX_TOKENS,
  STATIC_MIN_TOKENS,
  resolveChunkOptions,
  type ChunkingStrategy,
} from './chunking-strategy';
export { estimatingTokenizer, loadChunkTokenizer } from './load-chunk-tokenizer';
