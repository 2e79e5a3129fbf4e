import { Module } from '@nestjs/common';
import { RetrievalModule } from '../retrieval/retrieval.module';
import { FilesController } from './files.controller';

/** OpenAI's Files API (`/v1/files`): uploads and their bytes, stored by the rag service. */
@Module({
  imports: [RetrievalModule],
  controllers: [FilesController],
})
export class FilesModule {}
