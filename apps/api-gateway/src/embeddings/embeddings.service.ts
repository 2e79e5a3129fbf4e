import { Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import {
  CreateEmbeddingResponse,
  EmbeddingsRequest,
  InferenceErrorCode,
  Principal,
  StreamEvent,
  decodeVectors,
  embeddingInputs,
} from '@llmp/contracts';
import { ApiError, ApiErrorCode, EmbeddingModelDefinition } from '@llmp/platform';
import { InferenceClient } from '../jobs/inference-client.service';
import type { JobHandle } from '../jobs/job-handle';
import { MeteredJobs } from '../jobs/metered-jobs.service';
import { JOB_LOST } from '../jobs/reply-hub.service';
import { ModelCatalog } from '../models/model-catalog.service';
import { estimateTokens } from '../generation/token-estimate';
import { EmbeddingBatcher } from './embedding-batcher';

type EmbeddingsEvent = Extract<StreamEvent, { type: 'embeddings' }>;
type ErrorEvent = Extract<StreamEvent, { type: 'error' }>;

const WORKER_CODES: Record<string, ApiErrorCode> = {
  [InferenceErrorCode.InputTooLong]: ApiErrorCode.ContextLengthExceeded,
  [InferenceErrorCode.InvalidInput]: ApiErrorCode.InvalidRequest,
  [InferenceErrorCode.UnsupportedCapability]: ApiErrorCode.UnsupportedCapability,
  timeout: ApiErrorCode.Timeout,
  [JOB_LOST]: ApiErrorCode.ServiceUnavailable,
};

/** The worker names inputs `input[i]`; a request whose `input` was one string or one token array says `input`. */
function toApiError(ev: ErrorEvent, singleInput: boolean): ApiError {
  const param = singleInput && ev.param === 'input[0]' ? 'input' : (ev.param ?? null);
  const message = singleInput ? ev.message.replace('input[0]', 'the input') : ev.message;
  return new ApiError(WORKER_CODES[ev.code] ?? ApiErrorCode.WorkerFailed, message, param, {
    headers: ev.code === JOB_LOST ? { 'retry-after': '2' } : undefined,
  });
}

/**
 * `POST /v1/embeddings`: checks what the gateway can check without the model (model kind, `dimensions`), reserves
 * tokens against the caller's limits, submits its inputs (merged with concurrent requests' into one `embed.texts.v1`
 * job by the EmbeddingBatcher when they fit in one model batch) and waits for its own `embeddings` event. Token
 * counts and limits per input come from the worker, which holds the tokenizer.
 */
@Injectable()
export class EmbeddingsService {
  constructor(
    private readonly catalog: ModelCatalog,
    private readonly client: InferenceClient,
    private readonly jobs: MeteredJobs,
  ) {
    this.batcher = new EmbeddingBatcher({
      submitJob: (p, m, payload) => this.client.submitEmbedding(p, m, payload),
      deadline: () => this.client.deadline,
    });
  }

  private readonly batcher: EmbeddingBatcher;

  async create(
    reply: FastifyReply,
    principal: Principal,
    request: EmbeddingsRequest,
    requestId: string,
  ): Promise<CreateEmbeddingResponse> {
    const model = this.catalog.requireEmbedding(request.model, principal);
    const dimensions = resolveDimensions(model, request.dimensions ?? null);
    const inputs = embeddingInputs(request.input);
    const reserveTokens = inputs.reduce((n, x) => n + (typeof x === 'string' ? estimateTokens(x) : x.length), 0);
    const single = typeof request.input === 'string' || typeof request.input[0] === 'number';
    const spec = {
      principal,
      endpoint: 'embeddings' as const,
      model: model.id,
      reserveTokens,
      submit: (gone: AbortSignal) => {
        const payload = {
          requestId,
          model: model.id,
          inputs,
          ...(dimensions === model.dimensions ? {} : { dimensions }),
        };
        // Small requests share jobs with concurrent ones (EmbeddingBatcher); a big one is a job of its own.
        const merge = { ...payload, principal, maxInputs: model.batch_size };
        if (EmbeddingBatcher.mergeable(merge)) return this.batcher.submit(merge, gone);
        return this.client.submitEmbedding(principal, model.id, payload);
      },
    };
    return this.jobs.run(reply, spec, async ({ handle, deadline, record }) => {
      const result = await this.outcome(handle, deadline, single);
      record({ promptTokens: result.promptTokens, completionTokens: 0 });
      return toResponse(model.id, result, request.encoding_format ?? 'float');
    });
  }

  /** The job's result, or its final error as an ApiError; a failed attempt that will be retried is waited out. */
  private async outcome(handle: JobHandle, deadline: number, singleInput: boolean): Promise<EmbeddingsEvent> {
    for (;;) {
      const ev = await handle.next(deadline);
      switch (ev.type) {
        case 'embeddings':
          return ev;
        case 'error':
          if (ev.retrying) continue;
          throw toApiError(ev, singleInput);
        case 'start':
        case 'delta':
        case 'tool_call':
        case 'end':
          throw new ApiError(ApiErrorCode.WorkerFailed, 'The worker answered with an event of another job kind');
      }
    }
  }
}

/** The vector size to return: the model's own unless `dimensions` asks for fewer and the model allows it. */
export function resolveDimensions(model: EmbeddingModelDefinition, requested: number | null): number {
  if (requested === null || requested === model.dimensions) return model.dimensions;
  if (requested > model.dimensions) {
    throw new ApiError(
      ApiErrorCode.InvalidRequest,
      `The model '${model.id}' has ${model.dimensions} dimensions; 'dimensions' must be at most ${model.dimensions}.`,
      'dimensions',
    );
  }
  if (!model.matryoshka) {
    throw new ApiError(
      ApiErrorCode.InvalidRequest,
      `The model '${model.id}' does not support 'dimensions' other than its native ${model.dimensions}: its ` +
        'vectors cannot be shortened (it is not a Matryoshka model).',
      'dimensions',
    );
  }
  return requested;
}

/**
 * OpenAI's response, field for field; `base64` is each vector's little-endian float32 bytes, which are the wire
 * format's own bytes: each row is re-encoded from its slice, never decoded to floats.
 */
export function toResponse(
  model: string,
  ev: Pick<EmbeddingsEvent, 'vectors' | 'dims' | 'count' | 'promptTokens'>,
  format: 'float' | 'base64',
): CreateEmbeddingResponse {
  let embedding: (index: number) => number[] | string;
  if (format === 'base64') {
    const bytes = Buffer.from(ev.vectors, 'base64');
    const rowBytes = ev.dims * 4;
    if (bytes.length !== ev.count * rowBytes) {
      throw new Error(`vectors hold ${bytes.length} bytes, expected ${ev.count} x ${ev.dims} float32`);
    }
    embedding = (index) => bytes.subarray(index * rowBytes, (index + 1) * rowBytes).toString('base64');
  } else {
    const all = decodeVectors(ev.vectors, ev.count, ev.dims);
    embedding = (index) => Array.from(all.subarray(index * ev.dims, (index + 1) * ev.dims));
  }
  const data = Array.from({ length: ev.count }, (_, index) => ({
    object: 'embedding' as const,
    index,
    embedding: embedding(index),
  }));
  return {
    object: 'list',
    data,
    model,
    usage: { prompt_tokens: ev.promptTokens, total_tokens: ev.promptTokens },
  };
}
