import { Module } from '@nestjs/common';
import { ChunksModule } from '../chunks/chunks.module';
import { StorageModule } from '../database/storage.module';
import { EmbeddingModule } from '../embedding/embedding.module';
import { SearchController } from './search.controller';
import { SearchService } from './search.service';

/** Hybrid search (vector + keyword, reciprocal rank fusion). */
@Module({
  imports: [StorageModule, ChunksModule, EmbeddingModule],
  controllers: [SearchController],
  providers: [SearchService],
})
export class SearchModule {}
