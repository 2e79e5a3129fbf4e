import { Injectable } from '@nestjs/common';
import type { Principal, VectorStoreObject } from '@llmp/contracts';
import { RagClient } from '../retrieval/rag.client';

/** Name of the vector store the `/v1/rag/*` routes use, one per user. */
export const DEFAULT_VECTOR_STORE_NAME = 'default';

/**
 * The caller's default vector store: the oldest of its stores named `default`, created on the first write. Found
 * by name each time (no cache to go stale when the user deletes it through /v1/vector_stores). Two first writes
 * racing may each create one; both then use the oldest, and the other stays empty.
 */
@Injectable()
export class DefaultVectorStore {
  constructor(private readonly rag: RagClient) {}

  /** Its id, or null when the user has none yet (a search then finds nothing). */
  async find(p: Principal): Promise<string | null> {
    let after: string | undefined;
    let found: VectorStoreObject | null = null;
    for (;;) {
      const page = await this.rag.call('listVectorStores', { userId: p.userId, limit: 100, order: 'asc', after });
      for (const vs of page.data) {
        if (vs.name === DEFAULT_VECTOR_STORE_NAME && (!found || vs.created_at < found.created_at)) found = vs;
      }
      if (!page.has_more || !page.last_id) return found?.id ?? null;
      after = page.last_id;
    }
  }

  async findOrCreate(p: Principal): Promise<string> {
    const existing = await this.find(p);
    if (existing) return existing;
    const created = await this.rag.call('createVectorStore', { userId: p.userId, name: DEFAULT_VECTOR_STORE_NAME });
    return (await this.find(p)) ?? created.id;
  }
}
