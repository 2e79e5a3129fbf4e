import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { randomBytes } from 'node:crypto';
import {
  BATCH_ID_PREFIX,
  BATCH_QUEUE,
  BatchListQuery,
  BatchObject,
  CreateBatchRequest,
  ListPage,
  Principal,
  batchRunJobId,
} from '@llmp/contracts';
import { ApiError, ApiErrorCode, JobProducer } from '@llmp/platform';
import { gatewayConfig } from '../config/gateway.config';
import { RagClient } from '../retrieval/rag.client';
import { COMPLETION_WINDOW_S } from './batch.constants';
import { batchView } from './batch-view';
import { BatchesRepository } from './batches.repository';

/** OpenAI's Batch API: batches of one user, created from an uploaded `batch` file and run by the BatchRunner. */
@Injectable()
export class BatchesService {
  constructor(
    private readonly repo: BatchesRepository,
    private readonly rag: RagClient,
    private readonly producer: JobProducer,
    @Inject(gatewayConfig.KEY) private readonly cfg: ConfigType<typeof gatewayConfig>,
  ) {}

  async create(p: Principal, req: CreateBatchRequest): Promise<BatchObject> {
    // Another user's file is as unknown as a missing one (rag answers 404 for both).
    const file = await this.rag.call('getFile', { id: req.input_file_id, userId: p.userId });
    if (file.purpose !== 'batch') {
      throw new ApiError(
        ApiErrorCode.InvalidRequest,
        `The file '${file.id}' has purpose '${file.purpose}': a batch input file must be uploaded with purpose 'batch'.`,
        'input_file_id',
      );
    }
    const id = `${BATCH_ID_PREFIX}${randomBytes(12).toString('hex')}`;
    const nowMs = Date.now();
    const created = Math.floor(nowMs / 1000);
    await this.repo.insert(
      {
        id,
        userId: p.userId,
        principal: JSON.stringify(p),
        endpoint: req.endpoint,
        input_file_id: file.id,
        status: 'validating',
        metadata: JSON.stringify(req.metadata ?? null),
        output_expires_s: req.output_expires_after?.seconds ?? 0,
        created_at: created,
        expires_at: created + COMPLETION_WINDOW_S,
      },
      p.userId,
      nowMs,
    );
    await this.producer.add(
      BATCH_QUEUE,
      'batch.run.v1',
      { batchId: id },
      {
        jobId: batchRunJobId(id),
        attempts: 5,
        backoff: { type: 'exponential', delay: 2000 },
        removeOnComplete: { age: 24 * 3600 },
        removeOnFail: { age: 7 * 24 * 3600 },
      },
    );
    return this.get(p, id);
  }

  async get(p: Principal, id: string): Promise<BatchObject> {
    const rec = await this.repo.findOwned(p.userId, id);
    if (!rec) throw new ApiError(ApiErrorCode.NotFound, `No batch found with id '${id}'.`, 'batch_id');
    return batchView(rec);
  }

  async list(p: Principal, q: BatchListQuery): Promise<ListPage<BatchObject>> {
    const page = await this.repo.listPage(p.userId, q.after, q.limit);
    const data = page.slice(0, q.limit).map(batchView);
    return {
      object: 'list',
      data,
      first_id: data[0]?.id ?? null,
      last_id: data.at(-1)?.id ?? null,
      has_more: page.length > q.limit,
    };
  }

  /** `cancelling` at once; the runner stops the lines in flight and ends the batch `cancelled` with its partial files. */
  async cancel(p: Principal, id: string): Promise<BatchObject> {
    const rec = await this.repo.findOwned(p.userId, id);
    if (!rec) throw new ApiError(ApiErrorCode.NotFound, `No batch found with id '${id}'.`, 'batch_id');
    const status = await this.repo.transition(id, 'cancelling', ['validating', 'in_progress'], 'cancelling_at');
    if (status !== 'cancelling' && status !== 'cancelled') {
      throw new ApiError(
        ApiErrorCode.Conflict,
        `Cannot cancel the batch '${id}': its status is '${status}'.`,
        'batch_id',
      );
    }
    return this.get(p, id);
  }
}
