import { z } from 'zod';
import type { ListPage } from '../auth/auth.schemas';
import {
  FileContent,
  FileDeleted,
  FileExpiresAfterSchema,
  FileListQuerySchema,
  FileObject,
  FilePurposeSchema,
  RAG_FILE_HARD_MAX_BYTES,
} from './files.schemas';
import { VectorStoreSearchBodySchema, VectorStoreSearchResultsPage } from './search.schemas';
import {
  AttributesSchema,
  CreateFileBatchBodySchema,
  CreateVectorStoreBodySchema,
  CreateVectorStoreFileBodySchema,
  UpdateVectorStoreBodySchema,
  VectorStoreDeleted,
  VectorStoreFileBatchObject,
  VectorStoreFileContentPage,
  VectorStoreFileDeleted,
  VectorStoreFileListQuerySchema,
  VectorStoreFileObject,
  VectorStoreListQuerySchema,
  VectorStoreObject,
} from './vector-stores.schemas';

const userId = z.string().uuid();
/** Ids are opaque strings here: a malformed or unknown one is answered not_found, never invalid_request. */
const anyId = z.string();

/** Vector stores one search may cover (the Responses `file_search` tool allows two; the RPC a few more). */
export const MAX_SEARCH_VECTOR_STORES = 10;

/**
 * Request/response patterns the rag app serves over @nestjs/microservices (Redis transport), called by the gateway
 * as it calls chat-history. Every request carries the caller's `userId` and is answered only from that user's data:
 * another user's id, an unknown or a malformed one are all `not_found`. Bodies are OpenAI's (snake_case), beside
 * the camelCase routing fields (`userId`, `vectorStoreId`, `fileId`, `batchId`). Failures come back as a
 * `RagRpcError` payload.
 */
export const RAG_RPC = {
  /**
   * Stores an upload. `base64` is the file's bytes; beyond RAG_FILE_MAX_BYTES (default 32 MiB) → `payload_too_large`.
   * `mimeType` is the part's content type, if the client sent one.
   */
  createFile: {
    pattern: 'rag.file.create.v1',
    request: z.object({
      userId,
      filename: z.string().min(1).max(512),
      purpose: FilePurposeSchema,
      base64: z.string().max(Math.ceil(RAG_FILE_HARD_MAX_BYTES / 3) * 4 + 4),
      mimeType: z.string().max(256).optional(),
      expires_after: FileExpiresAfterSchema.optional(),
    }),
  },
  /** The user's files, newest first by default; `purpose` filters. */
  listFiles: { pattern: 'rag.file.list.v1', request: FileListQuerySchema.extend({ userId }) },
  getFile: { pattern: 'rag.file.get.v1', request: z.object({ userId, id: anyId }) },
  getFileContent: { pattern: 'rag.file.content.v1', request: z.object({ userId, id: anyId }) },
  /** Deletes the file, detaches it from every vector store of the user and removes its chunks and vectors. */
  deleteFile: { pattern: 'rag.file.delete.v1', request: z.object({ userId, id: anyId }) },

  /** `file_ids` are attached (and ingested) as by createVectorStoreFile; an unknown one → not_found `file_ids`. */
  createVectorStore: {
    pattern: 'rag.vector-store.create.v1',
    request: CreateVectorStoreBodySchema.extend({ userId }),
  },
  listVectorStores: { pattern: 'rag.vector-store.list.v1', request: VectorStoreListQuerySchema.extend({ userId }) },
  getVectorStore: { pattern: 'rag.vector-store.get.v1', request: z.object({ userId, id: anyId }) },
  updateVectorStore: {
    pattern: 'rag.vector-store.update.v1',
    request: UpdateVectorStoreBodySchema.extend({ userId, id: anyId }),
  },
  /** Deletes the store with its files' chunks and vectors (the files themselves stay). */
  deleteVectorStore: { pattern: 'rag.vector-store.delete.v1', request: z.object({ userId, id: anyId }) },

  /**
   * Attaches a file (status `in_progress`; ingested by the `rag-ingest` queue). Attaching a file already attached
   * ingests it again (attributes replaced when given, kept otherwise); its chunks keep their ids, so each is stored
   * once.
   */
  createVectorStoreFile: {
    pattern: 'rag.vector-store-file.create.v1',
    request: CreateVectorStoreFileBodySchema.extend({ userId, vectorStoreId: anyId }),
  },
  listVectorStoreFiles: {
    pattern: 'rag.vector-store-file.list.v1',
    request: VectorStoreFileListQuerySchema.extend({ userId, vectorStoreId: anyId }),
  },
  getVectorStoreFile: {
    pattern: 'rag.vector-store-file.get.v1',
    request: z.object({ userId, vectorStoreId: anyId, fileId: anyId }),
  },
  /** Replaces the attributes (null clears them); searches filter on the new ones at once. */
  updateVectorStoreFile: {
    pattern: 'rag.vector-store-file.update.v1',
    request: z.object({ userId, vectorStoreId: anyId, fileId: anyId, attributes: AttributesSchema.nullable() }),
  },
  /** Detaches the file from the store and removes its chunks and vectors (the file stays). */
  deleteVectorStoreFile: {
    pattern: 'rag.vector-store-file.delete.v1',
    request: z.object({ userId, vectorStoreId: anyId, fileId: anyId }),
  },
  /** The indexed text, chunk by chunk (empty until the file is `completed`). */
  getVectorStoreFileContent: {
    pattern: 'rag.vector-store-file.content.v1',
    request: z.object({ userId, vectorStoreId: anyId, fileId: anyId }),
  },

  createFileBatch: {
    pattern: 'rag.file-batch.create.v1',
    request: z.intersection(CreateFileBatchBodySchema, z.object({ userId, vectorStoreId: anyId })),
  },
  getFileBatch: {
    pattern: 'rag.file-batch.get.v1',
    request: z.object({ userId, vectorStoreId: anyId, batchId: anyId }),
  },
  /**
   * Cancels the files of the batch still waiting; the batch reports `cancelled` once none is in progress. A
   * cancelled file is detached at once (never left `cancelled` where a client polls it).
   */
  cancelFileBatch: {
    pattern: 'rag.file-batch.cancel.v1',
    request: z.object({ userId, vectorStoreId: anyId, batchId: anyId }),
  },
  listFileBatchFiles: {
    pattern: 'rag.file-batch.files.list.v1',
    request: VectorStoreFileListQuerySchema.extend({ userId, vectorStoreId: anyId, batchId: anyId }),
  },

  /**
   * Hybrid search over the completed files of one or more of the user's vector stores (the public route passes one
   * id; the Responses `file_search` tool its `vector_store_ids`). An unknown id → not_found `vector_store_id`.
   */
  search: {
    pattern: 'rag.vector-store.search.v1',
    request: VectorStoreSearchBodySchema.extend({
      userId,
      vectorStoreIds: z.array(anyId).min(1).max(MAX_SEARCH_VECTOR_STORES),
    }),
  },

  /** Deletes every file and vector store of the user, with their chunks and vectors (DELETE /v1/me/data). */
  purgeUser: { pattern: 'rag.user.purge.v1', request: z.object({ userId }) },
} as const;

export type RagRpcName = keyof typeof RAG_RPC;
export type RagRpcRequest<N extends RagRpcName> = z.input<(typeof RAG_RPC)[N]['request']>;
export type ParsedRagRpcRequest<N extends RagRpcName> = z.output<(typeof RAG_RPC)[N]['request']>;

export interface RagUserPurged {
  files: number;
  vector_stores: number;
}

/** What each pattern answers. */
export interface RagRpcResponses {
  createFile: FileObject;
  listFiles: ListPage<FileObject>;
  getFile: FileObject;
  getFileContent: FileContent;
  deleteFile: FileDeleted;
  createVectorStore: VectorStoreObject;
  listVectorStores: ListPage<VectorStoreObject>;
  getVectorStore: VectorStoreObject;
  updateVectorStore: VectorStoreObject;
  deleteVectorStore: VectorStoreDeleted;
  createVectorStoreFile: VectorStoreFileObject;
  listVectorStoreFiles: ListPage<VectorStoreFileObject>;
  getVectorStoreFile: VectorStoreFileObject;
  updateVectorStoreFile: VectorStoreFileObject;
  deleteVectorStoreFile: VectorStoreFileDeleted;
  getVectorStoreFileContent: VectorStoreFileContentPage;
  createFileBatch: VectorStoreFileBatchObject;
  getFileBatch: VectorStoreFileBatchObject;
  cancelFileBatch: VectorStoreFileBatchObject;
  listFileBatchFiles: ListPage<VectorStoreFileObject>;
  search: VectorStoreSearchResultsPage;
  purgeUser: RagUserPurged;
}
export type RagRpcResponse<N extends RagRpcName> = RagRpcResponses[N];

export enum RagErrorCode {
  InvalidRequest = 'invalid_request',
  NotFound = 'not_found',
  Conflict = 'conflict',
  /** An upload beyond RAG_FILE_MAX_BYTES (HTTP 413). */
  PayloadTooLarge = 'payload_too_large',
  /** An unexpected failure inside the rag service (logged there with `errorId`). */
  Internal = 'internal',
}

/** The payload of an RPC failure (thrown as RpcException by the rag app). */
export const RagRpcErrorSchema = z.object({
  code: z.nativeEnum(RagErrorCode),
  message: z.string(),
  /** The offending field (`file_id`, `vector_store_id`, `filters.key`, `file`), or null. */
  param: z.string().nullable().default(null),
  errorId: z.string().optional(),
});
export type RagRpcError = z.infer<typeof RagRpcErrorSchema>;

/** The `openai-poll-after-ms` header value the gateway sends with in-progress vector store files and batches. */
export const RAG_POLL_AFTER_MS_HEADER = 'openai-poll-after-ms';
