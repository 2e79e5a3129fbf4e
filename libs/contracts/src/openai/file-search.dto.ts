import { z } from 'zod';
import { AttributeFilterSchema, RankingOptionsSchema } from '../rag/search.schemas';
import type { Attributes } from '../rag/vector-stores.schemas';
import { MAX_SEARCH_VECTOR_STORES } from '../rag/rag.rpc';

/** The `include` value that asks for the file_search_call item's `results`. */
export const INCLUDE_FILE_SEARCH_RESULTS = 'file_search_call.results';

/** Results a file search retrieves when the request does not say (OpenAI's documented default is 10 for the tool). */
export const DEFAULT_FILE_SEARCH_RESULTS = 10;

/** Vector stores one Responses `file_search` tool may name (OpenAI's limit). */
export const MAX_FILE_SEARCH_VECTOR_STORES = 2;

const searchFields = {
  max_num_results: z.number().int().min(1).max(50).optional(),
  filters: AttributeFilterSchema.nullable().optional(),
  ranking_options: RankingOptionsSchema.optional(),
};

/** OpenAI's Responses `FileSearchTool`. */
export const FileSearchToolSchema = z.object({
  type: z.literal('file_search'),
  vector_store_ids: z.array(z.string().min(1)).min(1).max(MAX_FILE_SEARCH_VECTOR_STORES),
  ...searchFields,
});
export type FileSearchTool = z.infer<typeof FileSearchToolSchema>;

/**
 * Chat Completions extension `file_search`: ground an ordinary chat on the caller's vector stores (the last user
 * message is the query); the response gets the sources as the `sources` extension field.
 */
export const ChatFileSearchSchema = z.object({
  vector_store_ids: z.array(z.string().min(1)).min(1).max(MAX_SEARCH_VECTOR_STORES),
  ...searchFields,
});
export type ChatFileSearch = z.infer<typeof ChatFileSearchSchema>;

/** One retrieved passage as numbered in the prompt (`[index]`); the `sources` extension of chat and /v1/rag/chat. */
export interface RetrievalSource {
  /** Its number in the prompt, from 1: the model cites it as `[index]`. */
  index: number;
  file_id: string;
  filename: string;
  score: number;
  text: string;
  attributes: Attributes | null;
  vector_store_id: string;
}

/** OpenAI's `ResponseFileSearchToolCall`. */
export interface FileSearchCallItem {
  id: string;
  type: 'file_search_call';
  status: 'in_progress' | 'searching' | 'completed' | 'incomplete' | 'failed';
  queries: string[];
  results?: FileSearchCallResult[] | null;
}

export interface FileSearchCallResult {
  file_id: string;
  filename: string;
  score: number;
  text: string;
  attributes: Attributes | null;
}

/** OpenAI's `ResponseOutputText.FileCitation`: `index` is the character position in the text of the citation. */
export interface FileCitationAnnotation {
  type: 'file_citation';
  file_id: string;
  filename: string;
  index: number;
}
