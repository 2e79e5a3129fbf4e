import { Body, Controller, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionRequestSchema,
  ItemInput,
  Principal,
} from '@llmp/contracts';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { StatefulChat } from '../conversations/stateful-chat.service';
import { ModelCatalog } from '../models/model-catalog.service';
import { CompletionFormat, CompletionRunner, publicContext } from './completion-runner.service';
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
    doneMarker: true,
    response: (id, r, extra): ChatCompletion => ({
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
      ...extra,
    }),
    opening: (id) => [chunk(id, { role: 'assistant', content: '' }, null)],
    delta: (id, text) => chunk(id, { content: text }, null),
    closing: (id, r, extra) => [{ ...chunk(id, {}, toOpenAiFinishReason(r.finishReason)), ...extra }],
    usage: (id, r) => ({ ...chunk(id, {}, null), choices: [], usage: toOpenAiUsage(r.usage) }),
  };
}

@ApiTags('openai')
@Controller('v1/chat/completions')
export class ChatCompletionsController {
  constructor(
    private readonly catalog: ModelCatalog,
    private readonly runner: CompletionRunner,
    private readonly stateful: StatefulChat,
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
    @Query('dry_run') dryRunQuery?: string,
  ): Promise<void> {
    const request = parseBody(ChatCompletionRequestSchema, body);
    const model = this.catalog.require(request.model, principal, 'chat');
    const sampling = toSampling(request);
    const dryRun = request.dry_run === true || dryRunQuery === 'true';
    const stream = (request.stream ?? false) && !dryRun;
    const conversationId = request.conversation_id;
    // With conversation_id the request's messages are the new input; history comes from the conversation.
    const input: ItemInput[] = request.messages.map((m) => ({
      type: 'message',
      role: m.role,
      content:
        m.content == null ? '' : typeof m.content === 'string' ? m.content : m.content.map((c) => c.text).join(''),
    }));
    const messages = conversationId
      ? await this.stateful.promptFor(principal, conversationId, input)
      : toChatMessages(request.messages);
    await this.runner.run(reply, {
      principal,
      endpoint: 'chat.completions',
      reserveTokens: dryRun
        ? 0
        : estimateTokens(request.messages.map((m) => JSON.stringify(m.content ?? '')).join('')) +
          (sampling.maxTokens ?? model.default_max_tokens),
      model: model.id,
      job: 'chat.complete.v1',
      payload: {
        requestId: String(req.id),
        model: model.id,
        stream,
        sampling,
        messages,
        dryRun,
      },
      dryRun,
      complete: conversationId
        ? async (result, start) => {
            await this.stateful.append(principal, conversationId, input, result.text, start.jobId);
            return { conversation_id: conversationId, context: publicContext(start) };
          }
        : undefined,
      stream,
      includeUsage: request.stream_options?.include_usage ?? false,
      idPrefix: 'chatcmpl-',
      format: chatFormat(model.id),
    });
  }
}
