import { Injectable } from '@nestjs/common';
import type { Attributes, Principal, VectorStoreFileObject } from '@llmp/contracts';
import { RagClient } from '../retrieval/rag.client';
import { DefaultVectorStore } from './default-vector-store.service';
import type { RagDocumentsBody, RagSearchBody } from './rag-routes.dto';

/** How long `wait: true` waits for indexing, and how often it looks. */
const WAIT_MS = 120_000;
const POLL_MS = 250;

export interface RagDocument {
  id: string;
  object: 'rag.document';
  filename: string;
  vector_store_id: string;
  status: VectorStoreFileObject['status'];
  last_error: VectorStoreFileObject['last_error'];
  metadata: Attributes | null;
}

/** The seeds' document routes on the caller's default vector store, over the rag service's files and search. */
@Injectable()
export class RagDocuments {
  constructor(
    private readonly rag: RagClient,
    private readonly store: DefaultVectorStore,
  ) {}

  async add(p: Principal, body: RagDocumentsBody) {
    const vectorStoreId = await this.store.findOrCreate(p);
    const documents: RagDocument[] = [];
    for (const [i, text] of body.texts.entries()) {
      const metadata = (Array.isArray(body.metadata) ? body.metadata[i] : body.metadata) ?? null;
      const filename = `doc-${i + 1}.txt`;
      const file = await this.rag.call('createFile', {
        userId: p.userId,
        filename,
        purpose: 'assistants',
        base64: Buffer.from(text, 'utf8').toString('base64'),
        mimeType: 'text/plain',
      });
      let vsFile = await this.rag.call('createVectorStoreFile', {
        userId: p.userId,
        vectorStoreId,
        file_id: file.id,
        attributes: metadata,
      });
      if (body.wait) vsFile = await this.settled(p, vectorStoreId, vsFile);
      documents.push({
        id: file.id,
        object: 'rag.document',
        filename,
        vector_store_id: vectorStoreId,
        status: vsFile.status,
        last_error: vsFile.last_error,
        metadata: vsFile.attributes,
      });
    }
    return { vector_store_id: vectorStoreId, ids: documents.map((d) => d.id), documents, count: documents.length };
  }

  async search(p: Principal, body: RagSearchBody) {
    const vectorStoreId = await this.store.find(p);
    if (!vectorStoreId) return { documents: [], query: body.query, count: 0 };
    const page = await this.rag.call('search', {
      userId: p.userId,
      vectorStoreIds: [vectorStoreId],
      query: body.query,
      max_num_results: body.limit,
      filters: body.filter ?? undefined,
      ranking_options: { score_threshold: body.score_threshold },
    });
    const documents = page.data.map((r) => ({
      id: r.file_id,
      file_id: r.file_id,
      filename: r.filename,
      text: r.content.map((c) => c.text).join('\n'),
      score: r.score,
      metadata: r.attributes ?? {},
      chunk_index: r.chunk?.index ?? 0,
    }));
    return { documents, query: body.query, count: documents.length };
  }

  /** The vector store file once it is no longer `in_progress` (or as it is when the wait runs out). */
  private async settled(p: Principal, vectorStoreId: string, file: VectorStoreFileObject) {
    const until = Date.now() + WAIT_MS;
    while (file.status === 'in_progress' && Date.now() < until) {
      await new Promise((r) => setTimeout(r, POLL_MS));
      file = await this.rag.call('getVectorStoreFile', { userId: p.userId, vectorStoreId, fileId: file.id });
    }
    return file;
  }
}
