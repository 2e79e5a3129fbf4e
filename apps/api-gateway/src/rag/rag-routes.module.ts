import { Module } from '@nestjs/common';
import { ConversationsModule } from '../conversations/conversations.module';
import { GenerationModule } from '../generation/generation.module';
import { ModelsModule } from '../models/models.module';
import { RetrievalModule } from '../retrieval/retrieval.module';
import { DefaultVectorStore } from './default-vector-store.service';
import { RagChat } from './rag-chat.service';
import { RagDocuments } from './rag-documents.service';
import { RagRoutesController } from './rag-routes.controller';

/** `/v1/rag/documents`, `/v1/rag/search`, `/v1/rag/chat`: the seeds' routes over the rag service. */
@Module({
  imports: [RetrievalModule, GenerationModule, ModelsModule, ConversationsModule],
  controllers: [RagRoutesController],
  providers: [DefaultVectorStore, RagDocuments, RagChat],
})
export class RagRoutesModule {}
