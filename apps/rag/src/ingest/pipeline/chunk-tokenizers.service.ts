import { Injectable } from '@nestjs/common';
import type { EmbeddingModelDefinition } from '@llmp/platform';
import { readEmbeddingModel } from '../../config/rag.config';
import { ChunkTokenizer, loadChunkTokenizer } from '../chunking';

export interface ModelTokenizer {
  model: EmbeddingModelDefinition;
  tokenizer: ChunkTokenizer;
}

/** The chunking tokenizer of each embedding model, loaded once per process. */
@Injectable()
export class ChunkTokenizers {
  private readonly loaded = new Map<string, Promise<ModelTokenizer>>();

  get(modelId: string): Promise<ModelTokenizer> {
    let entry = this.loaded.get(modelId);
    if (!entry) {
      entry = (async () => {
        const { model, modelsDir } = readEmbeddingModel(modelId);
        return { model, tokenizer: await loadChunkTokenizer(model, { modelsDir }) };
      })();
      entry.catch(() => this.loaded.delete(modelId));
      this.loaded.set(modelId, entry);
    }
    return entry;
  }
}
