import { Controller, Delete, Get, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { FileListQuerySchema, FilePurposeSchema, Principal } from '@llmp/contracts';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { RequireScope } from '../auth/require-scope.decorator';
import { gatewayConfig } from '../config/gateway.config';
import { openApiSchema, parseBody } from '../http/zod-body';
import { RagClient } from '../retrieval/rag.client';
import { contentDisposition } from './content-disposition';
import { readFileUpload } from './file-upload';

const UPLOAD_FORM_SCHEMA = {
  type: 'object',
  required: ['file', 'purpose'],
  properties: {
    file: { type: 'string', format: 'binary', description: 'The file (txt, md, html, pdf, json, csv, docx, …)' },
    purpose: openApiSchema(FilePurposeSchema),
    'expires_after[anchor]': { type: 'string', enum: ['created_at'] },
    'expires_after[seconds]': { type: 'integer', minimum: 3600, maximum: 2592000 },
  },
};

/** OpenAI's Files API over the rag service, scoped to the caller. */
@ApiTags('files')
@ApiBearerAuth()
@Controller('v1/files')
export class FilesController {
  constructor(
    private readonly rag: RagClient,
    @Inject(gatewayConfig.KEY) private readonly cfg: ConfigType<typeof gatewayConfig>,
  ) {}

  @RequireScope('files.write')
  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: 'Upload a file (multipart: file, purpose, expires_after); 413 beyond RAG_FILE_MAX_BYTES' })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: UPLOAD_FORM_SCHEMA })
  async create(@Req() req: FastifyRequest, @CurrentPrincipal() p: Principal) {
    const upload = await readFileUpload(req, this.cfg.ragFileMaxBytes);
    return this.rag.call('createFile', {
      userId: p.userId,
      filename: upload.filename,
      purpose: upload.fields.purpose,
      expires_after: upload.fields.expires_after,
      mimeType: upload.mimeType,
      base64: upload.bytes.toString('base64'),
    });
  }

  @RequireScope('files.read')
  @Get()
  @ApiOperation({ summary: "List the caller's files, newest first (cursor `after`, `limit`, `order`, `purpose`)" })
  list(@Query() query: unknown, @CurrentPrincipal() p: Principal) {
    return this.rag.call('listFiles', { ...parseBody(FileListQuerySchema, query ?? {}), userId: p.userId });
  }

  @RequireScope('files.read')
  @Get(':id')
  @ApiOperation({ summary: 'Retrieve a file' })
  get(@Param('id') id: string, @CurrentPrincipal() p: Principal) {
    return this.rag.call('getFile', { id, userId: p.userId });
  }

  @RequireScope('files.read')
  @Get(':id/content')
  @ApiOperation({ summary: "A file's bytes, with the content type it was stored with" })
  @ApiProduces('application/octet-stream')
  async content(@Param('id') id: string, @CurrentPrincipal() p: Principal, @Res() reply: FastifyReply) {
    const file = await this.rag.call('getFileContent', { id, userId: p.userId });
    await reply
      .header('content-type', file.mimeType)
      .header('content-disposition', contentDisposition(file.filename))
      .send(Buffer.from(file.base64, 'base64'));
  }

  @RequireScope('files.write')
  @Delete(':id')
  @ApiOperation({ summary: 'Delete a file; it leaves every vector store (its chunks and vectors are removed)' })
  remove(@Param('id') id: string, @CurrentPrincipal() p: Principal) {
    return this.rag.call('deleteFile', { id, userId: p.userId });
  }
}
