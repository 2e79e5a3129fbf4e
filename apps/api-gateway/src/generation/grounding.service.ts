import { Injectable } from '@nestjs/common';
import {
  AttributeFilter,
  DEFAULT_FILE_SEARCH_RESULTS,
  MAX_SEARCH_QUERY_CHARS,
  Principal,
  RagRpcRequest,
  RetrievalSource,
} from '@llmp/contracts';
import { ApiError, ApiErrorCode } from '@llmp/platform';
import { assertScope } from '../auth/require-scope.decorator';
import { RagClient } from '../retrieval/rag.client';
import { toSources } from './grounding';

export interface GroundingSearch {
  vectorStoreIds: string[];
  query: string;
  maxNumResults?: number;
  filters?: AttributeFilter | null;
  rankingOptions?: RagRpcRequest<'search'>['ranking_options'];
  /** The request field the search comes from, named by errors (`tools`, `file_search`). */
  param: string;
}

/**
 * Retrieval for grounded generation (the Responses `file_search` tool, the Chat Completions `file_search`
 * extension, `/v1/rag/chat`): searches the caller's vector stores through the rag service, which answers only
 * from the caller's own stores (another user's id is a 404, as an unknown one).
 */
@Injectable()
export class Grounding {
  constructor(private readonly rag: RagClient) {}

  async search(p: Principal, s: GroundingSearch): Promise<RetrievalSource[]> {
    assertScope(p, 'files.read', s.param);
    const query = s.query.trim().slice(-MAX_SEARCH_QUERY_CHARS);
    if (!query) {
      throw new ApiError(
        ApiErrorCode.InvalidRequest,
        'A file search needs a text query: the input has no text.',
        'input',
      );
    }
    const page = await this.rag.call('search', {
      userId: p.userId,
      vectorStoreIds: s.vectorStoreIds,
      query,
      max_num_results: s.maxNumResults ?? DEFAULT_FILE_SEARCH_RESULTS,
      filters: s.filters ?? undefined,
      ranking_options: s.rankingOptions,
    });
    return toSources(page.data);
  }
}
