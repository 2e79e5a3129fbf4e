import { Module } from '@nestjs/common';
import { InputFiles } from './input-files.service';
import { RagClient } from './rag.client';

/**
 * The gateway's way to the rag service. Feature modules that retrieve (files, vector stores, Responses and chat
 * `file_search`, the `/v1/rag/*` routes, data deletion) import it; it serves no route itself. `InputFiles` turns
 * the `input_file` parts of a request into the text the model reads.
 */
@Module({
  providers: [RagClient, InputFiles],
  exports: [RagClient, InputFiles],
})
export class RetrievalModule {}
