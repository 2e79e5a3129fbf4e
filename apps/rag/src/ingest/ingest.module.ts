import { Module } from '@nestjs/common';
import { ChunksModule } from '../chunks/chunks.module';
import { StorageModule } from '../database/storage.module';
import { EmbeddingModule } from '../embedding/embedding.module';
import { IngestQueue } from './ingest-queue.service';
import { IngestSweeper } from './ingest-sweeper';
import { IngestProcessor } from './ingest.processor';
import { ChunkTokenizers } from './pipeline/chunk-tokenizers.service';
import { IngestService } from './pipeline/ingest.service';

/** The ingest pipeline, its worker on `rag-ingest`, and the sweep that keeps in-progress files moving. */
@Module({
  imports: [StorageModule, ChunksModule, EmbeddingModule],
  providers: [IngestQueue, IngestService, ChunkTokenizers, IngestProcessor, IngestSweeper],
  exports: [IngestQueue],
})
export class IngestModule {}
