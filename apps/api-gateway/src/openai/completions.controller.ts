import { Body, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CompletionRequestSchema, GenerationResult, Principal, TextCompletion } from '@llmp/contracts';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { ModelCatalog } from '../models/model-catalog.service';
import { CompletionFormat, CompletionRunner } from './completion-runner.service';
import { SYSTEM_FINGERPRINT, toOpenAiFinishReason, toOpenAiUsage, toSampling } from './openai-mappers';
import { estimateTokens } from './token-estimate';
import { openApiSchema, parseBody } from './zod-body';

const now = () => Math.floor(Date.now() / 1000);

function completionFormat(model: string): CompletionFormat {
  const body = (id: string, text: string, r: GenerationResult | null, usage: boolean): TextCompletion => ({
    id,
    object: 'text_completion',
    created: now(),
    model,
    system_fingerprint: SYSTEM_FINGERPRINT,
    choices: [{ index: 0, text, logprobs: null, finish_reason: r ? toOpenAiFinishReason(r.finishReason) : null }],
    ...(usage && r ? { usage: toOpenAiUsage(r.usage) } : {}),
  });
  return {
    doneMarker: true,
    response: (id, r) => body(id, r.text, r, true),
    opening: () => [],
    delta: (id, text) => body(id, text, null, false),
    closing: (id, r) => [body(id, '', r, false)],
    usage: (id, r) => ({ ...body(id, '', null, true), choices: [], usage: toOpenAiUsage(r.usage) }),
  };
}

@ApiTags('openai')
@Controller('v1/completions')
export class CompletionsController {
  constructor(
    private readonly catalog: ModelCatalog,
    private readonly runner: CompletionRunner,
  ) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: 'Create a text completion (OpenAI Completions API; SSE when stream is true)' })
  @ApiBody({ schema: openApiSchema(CompletionRequestSchema) })
  async create(
    @Body() body: unknown,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
    @CurrentPrincipal() principal: Principal,
  ): Promise<void> {
    const request = parseBody(CompletionRequestSchema, body);
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
      payload: {
        requestId: String(req.id),
        model: model.id,
        stream,
        sampling,
        prompt,
        echo: request.echo ?? false,
      },
      stream,
      includeUsage: request.stream_options?.include_usage ?? false,
      idPrefix: 'cmpl-',
      format: completionFormat(model.id),
    });
  }
}
