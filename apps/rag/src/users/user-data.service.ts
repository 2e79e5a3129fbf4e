import { Injectable } from '@nestjs/common';
import type { RagUserPurged } from '@llmp/contracts';
import { ChunkIndex } from '../chunks/chunk-index.service';
import { FilesRepository } from '../files/files.repository';
import { VectorStoresRepository } from '../vector-stores/vector-stores.repository';

@Injectable()
export class UserDataService {
  constructor(
    private readonly stores: VectorStoresRepository,
    private readonly files: FilesRepository,
    private readonly index: ChunkIndex,
  ) {}

  /** Deletes every vector store and file of the user (chunks by cascade), then their vectors in every model's collection. */
  async purge(userId: string): Promise<RagUserPurged> {
    const stores = await this.stores.deleteAllOf(userId);
    const files = await this.files.deleteAllOf(userId);
    const byModel = new Map<string, string[]>();
    for (const s of stores) byModel.set(s.embeddingModel, [...(byModel.get(s.embeddingModel) ?? []), s.id]);
    for (const [model, ids] of byModel) await this.index.removeUser(model, userId, ids);
    return { files, vector_stores: stores.length };
  }
}
