import { Module } from '@nestjs/common';
import { RagEmbedder } from './rag-embedder.service';

/** Embeddings through the embedding queue (ingest and search queries). */
@Module({ providers: [RagEmbedder], exports: [RagEmbedder] })
export class EmbeddingModule {}
