import { Module } from '@nestjs/common';
import { RagClient } from './rag.client';

/**
 * The gateway's way to the rag service. Feature modules that retrieve (files, vector stores, Responses and chat
 * `file_search`, the `/v1/rag/*` routes, data deletion) import it; it serves no route itself.
 */
@Module({
  providers: [RagClient],
  exports: [RagClient],
})
export class RetrievalModule {}
