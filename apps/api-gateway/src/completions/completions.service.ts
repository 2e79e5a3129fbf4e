import { Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { CompletionRequest, Principal, SamplingParams } from '@llmp/contracts';
import { ResponseCache } from '../cache/response-cache.service';
import { Router } from '../routing/router.service';
import { CompletionRunner } from '../generation/completion-runner.service';
import { toSampling } from '../generation/openai-mappers';
import { estimateTokens } from '../generation/token-estimate';
import { ModelCatalog } from '../models/model-catalog.service';
import { completionFormat } from './completion.format';

/** `POST /v1/completions`: one prompt, plain text completion (no chat template). */
@Injectable()
export class CompletionsService {
  constructor(
    private readonly catalog: ModelCatalog,
    private readonly runner: CompletionRunner,
    private readonly cache: ResponseCache,
    private readonly router: Router,
  ) {}

  /** Deterministic, and not a prompt PII would make confidential (PII_SENSITIVITY=confidential). */
  private cacheable(prompt: string, sampling: SamplingParams): boolean {
    if (!this.cache.enabled || !ResponseCache.deterministic(sampling)) return false;
    return !this.router.confidentialByPii(prompt);
  }

  async create(reply: FastifyReply, principal: Principal, request: CompletionRequest, requestId: string) {
    const model = this.catalog.require(request.model, principal, 'completion');
    const sampling = toSampling(request);
    const prompt = Array.isArray(request.prompt) ? request.prompt[0]! : request.prompt;
    const stream = request.stream ?? false;
    await this.runner.run(reply, {
      principal,
      endpoint: 'completions',
      reserveTokens: estimateTokens(prompt) + (sampling.maxTokens ?? model.default_max_tokens),
      model: model.id,
      job: 'text.complete.v1',
      payload: { requestId, model: model.id, stream, sampling, prompt, echo: request.echo ?? false },
      stream,
      includeUsage: request.stream_options?.include_usage ?? false,
      idPrefix: 'cmpl-',
      format: completionFormat(model.id, sampling.logprobs != null),
      cacheKey: this.cacheable(prompt, sampling)
        ? this.cache.key(principal, 'completions', [model.id, prompt, sampling, request.echo ?? false])
        : undefined,
    });
  }
}
