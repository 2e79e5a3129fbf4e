import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { RagUserPurged } from '@llmp/contracts';
import { ChunkIndex } from '../chunks/chunk-index.service';
import { FilesRepository } from '../files/files.repository';
import { VectorStoresRepository } from '../vector-stores/vector-stores.repository';

@Injectable()
export class UserDataService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly stores: VectorStoresRepository,
    private readonly files: FilesRepository,
    private readonly index: ChunkIndex,
  ) {}

  /** Deletes every vector store and file of the user (chunks by cascade), then their vectors in every model's collection. */
  async purge(userId: string): Promise<RagUserPurged> {
    const models = (await this.ds.query(
      `SELECT DISTINCT "embedding_model" AS model FROM "rag"."vector_stores" WHERE "user_id" = $1`,
      [userId],
    )) as { model: string }[];
    const vectorStores = await this.stores.deleteAllOf(userId);
    const files = await this.files.deleteAllOf(userId);
    for (const { model } of models) await this.index.removeUser(model, userId);
    return { files, vector_stores: vectorStores };
  }
}
