import { Body, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ChatCompletion, ChatCompletionChunk, ChatCompletionRequestSchema, Principal } from '@llmp/contracts';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { ModelCatalog } from '../models/model-catalog.service';
import { CompletionFormat, CompletionRunner } from './completion-runner.service';
import { SYSTEM_FINGERPRINT, toChatMessages, toOpenAiFinishReason, toOpenAiUsage, toSampling } from './openai-mappers';
import { estimateTokens } from './token-estimate';
import { openApiSchema, parseBody } from './zod-body';

const now = () => Math.floor(Date.now() / 1000);

function chatFormat(model: string): CompletionFormat {
  const chunk = (
    id: string,
    delta: ChatCompletionChunk['choices'][0]['delta'],
    finish: ChatCompletionChunk['choices'][0]['finish_reason'],
  ): ChatCompletionChunk => ({
    id,
    object: 'chat.completion.chunk',
    created: now(),
    model,
    system_fingerprint: SYSTEM_FINGERPRINT,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  });
  return {
    response: (id, r): ChatCompletion => ({
      id,
      object: 'chat.completion',
      created: now(),
      model,
      system_fingerprint: SYSTEM_FINGERPRINT,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: r.text, refusal: null },
          logprobs: null,
          finish_reason: toOpenAiFinishReason(r.finishReason),
        },
      ],
      usage: toOpenAiUsage(r.usage),
    }),
    opening: (id) => chunk(id, { role: 'assistant', content: '' }, null),
    delta: (id, text) => chunk(id, { content: text }, null),
    closing: (id, r) => chunk(id, {}, toOpenAiFinishReason(r.finishReason)),
    usage: (id, r) => ({ ...chunk(id, {}, null), choices: [], usage: toOpenAiUsage(r.usage) }),
  };
}

@ApiTags('openai')
@Controller('v1/chat/completions')
export class ChatCompletionsController {
  constructor(
    private readonly catalog: ModelCatalog,
    private readonly runner: CompletionRunner,
  ) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: 'Create a chat completion (OpenAI Chat Completions API; SSE when stream is true)' })
  @ApiBody({ schema: openApiSchema(ChatCompletionRequestSchema) })
  async create(
    @Body() body: unknown,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
    @CurrentPrincipal() principal: Principal,
  ): Promise<void> {
    const request = parseBody(ChatCompletionRequestSchema, body);
    const model = this.catalog.require(request.model, principal, 'chat');
    const sampling = toSampling(request);
    const stream = request.stream ?? false;
    await this.runner.run(reply, {
      principal,
      endpoint: 'chat.completions',
      reserveTokens:
        estimateTokens(request.messages.map((m) => JSON.stringify(m.content ?? '')).join('')) +
        (sampling.maxTokens ?? model.default_max_tokens),
      model: model.id,
      job: 'chat.complete.v1',
      payload: {
        requestId: String(req.id),
        model: model.id,
        stream,
        sampling,
        messages: toChatMessages(request.messages),
      },
      stream,
      includeUsage: request.stream_options?.include_usage ?? false,
      idPrefix: 'chatcmpl',
      format: chatFormat(model.id),
    });
  }
}
