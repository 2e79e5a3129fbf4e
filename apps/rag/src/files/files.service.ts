import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import {
  FILE_ID_PREFIX,
  FileContent,
  FileDeleted,
  FileListQuery,
  FileObject,
  ListPage,
  ParsedRagRpcRequest,
  RagErrorCode,
} from '@llmp/contracts';
import { toListPage } from '@llmp/platform';
import { ChunkIndex } from '../chunks/chunk-index.service';
import { newId } from '../common/ids';
import { ragConfig } from '../config/rag.config';
import { RagError } from '../errors/rag.error';
import { VectorStoreFilesRepository } from '../vector-stores/vector-store-files.repository';
import { VectorStoresRepository } from '../vector-stores/vector-stores.repository';
import { fileView } from './file.view';
import { FilesRepository } from './files.repository';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Media types by extension, for uploads that came without one. */
const MIME_BY_EXTENSION: Record<string, string> = {
  txt: 'text/plain',
  md: 'text/markdown',
  markdown: 'text/markdown',
  html: 'text/html',
  htm: 'text/html',
  json: 'application/json',
  csv: 'text/csv',
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
};

@Injectable()
export class FilesService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly files: FilesRepository,
    private readonly stores: VectorStoresRepository,
    private readonly storeFiles: VectorStoreFilesRepository,
    private readonly index: ChunkIndex,
    @Inject(ragConfig.KEY) private readonly cfg: ConfigType<typeof ragConfig>,
  ) {}

  async create(req: ParsedRagRpcRequest<'createFile'>): Promise<FileObject> {
    // Checked on the encoded length first: a huge upload is refused without decoding it.
    if (Math.floor((req.base64.length * 3) / 4) - 2 > this.cfg.fileMaxBytes) throw this.tooLarge();
    if (!BASE64.test(req.base64)) throw RagError.invalid('The file content is not valid base64.', 'file');
    const content = Buffer.from(req.base64, 'base64');
    if (content.length > this.cfg.fileMaxBytes) throw this.tooLarge();
    const ext = req.filename.split('.').pop()?.toLowerCase() ?? '';
    const mimeType =
      req.mimeType && req.mimeType !== 'application/octet-stream'
        ? req.mimeType
        : (MIME_BY_EXTENSION[ext] ?? req.mimeType ?? 'application/octet-stream');
    const row = await this.files.insert({
      id: newId(FILE_ID_PREFIX),
      userId: req.userId,
      filename: req.filename,
      purpose: req.purpose,
      mimeType,
      bytes: content.length,
      content,
      expiresAt: req.expires_after ? new Date(Date.now() + req.expires_after.seconds * 1000) : null,
    });
    return fileView(row);
  }

  async get(userId: string, id: string): Promise<FileObject> {
    const row = await this.files.findOwned(userId, id);
    if (!row) throw RagError.notFound('file');
    return fileView(row);
  }

  async content(userId: string, id: string): Promise<FileContent> {
    const row = await this.files.content(userId, id);
    if (!row) throw RagError.notFound('file');
    return { id: row.id, filename: row.filename, mimeType: row.mimeType, base64: row.content.toString('base64') };
  }

  async list(userId: string, q: FileListQuery): Promise<ListPage<FileObject>> {
    return toListPage(await this.files.listPage(userId, q), q.limit, fileView);
  }

  /** Deletes the file; its vector store files and chunks go with it (cascade), then their vectors. */
  async delete(userId: string, id: string): Promise<FileDeleted> {
    const storeIds = await this.storeFiles.storesOfFile(userId, id);
    const stores = await this.stores.findManyOwned(userId, storeIds);
    if (!(await this.files.delete(userId, id))) throw RagError.notFound('file');
    await this.removeVectors(
      stores.map((s) => ({ vectorStoreId: s.id, fileId: id, embeddingModel: s.embeddingModel })),
    );
    return { id, object: 'file', deleted: true };
  }

  /**
   * Deletes up to `limit` files past their `expires_at` as `delete` does: the bytes, the file's vector store files
   * and chunks (cascade), then its vectors in each store. Leased (`SKIP LOCKED`): replicas take different files.
   * Answers how many went.
   */
  async purgeExpired(limit: number): Promise<number> {
    const { ids, attachments } = await this.ds.transaction(async (em) => {
      const expired = await this.files.lockExpired(em, limit);
      const where = await this.storeFiles.attachmentsOfFiles(em, expired);
      await this.files.deleteMany(em, expired);
      return { ids: expired, attachments: where };
    });
    await this.removeVectors(attachments);
    return ids.length;
  }

  private async removeVectors(
    attachments: readonly { vectorStoreId: string; fileId: string; embeddingModel: string }[],
  ): Promise<void> {
    for (const a of attachments) await this.index.removeFile(a.embeddingModel, a.vectorStoreId, a.fileId);
  }

  private tooLarge(): RagError {
    return new RagError(
      RagErrorCode.PayloadTooLarge,
      `The file is larger than the ${this.cfg.fileMaxBytes} bytes allowed.`,
      'file',
    );
  }
}
