import { Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { ChatCompletionRequest, ItemInput, Principal } from '@llmp/contracts';
import { assertScope } from '../auth/require-scope.decorator';
import { StatefulChat } from '../conversations/stateful-chat.service';
import { CompletionRunner, publicContext } from '../generation/completion-runner.service';
import { toChatMessages, toSampling } from '../generation/openai-mappers';
import { estimateTokens } from '../generation/token-estimate';
import { ModelCatalog } from '../models/model-catalog.service';
import { chatFormat } from './chat-completion.format';

/**
 * `POST /v1/chat/completions`: stateless (the request's messages are the prompt) or stateful on a stored
 * conversation (`conversation_id`: the messages are the new input, history comes from the conversation and the
 * exchange is appended), or a dry run that returns the rendered prompt.
 */
@Injectable()
export class ChatCompletionsService {
  constructor(
    private readonly catalog: ModelCatalog,
    private readonly runner: CompletionRunner,
    private readonly stateful: StatefulChat,
  ) {}

  async create(
    reply: FastifyReply,
    principal: Principal,
    request: ChatCompletionRequest,
    requestId: string,
    dryRun: boolean,
  ): Promise<void> {
    const model = this.catalog.require(request.model, principal, 'chat');
    const sampling = toSampling(request);
    const stream = (request.stream ?? false) && !dryRun;
    const conversationId = request.conversation_id;
    if (conversationId)
      assertScope(principal, dryRun ? 'conversations.read' : 'conversations.write', 'conversation_id');
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
      payload: { requestId, model: model.id, stream, sampling, messages, dryRun },
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
      format: chatFormat(model.id, sampling.logprobs != null),
    });
  }
}
