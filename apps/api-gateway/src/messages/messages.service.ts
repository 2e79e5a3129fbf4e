import { Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { ChatMessage, CountTokensRequest, MessagesRequest, Principal } from '@llmp/contracts';
import { ApiError, ApiErrorCode } from '@llmp/platform';
import type { ChatToolRequest } from '../chat-completions/chat-tools';
import { ResponseCache } from '../cache/response-cache.service';
import { CompletionRunner } from '../generation/completion-runner.service';
import { estimateTokens } from '../generation/token-estimate';
import { Router } from '../routing/router.service';
import { toolJobFields } from '../tools/tool-request';
import { MessagesFormat } from './messages-format';
import { messagesToolPlan, toJobMessages, toMessagesSampling } from './messages-request';

/**
 * Anthropic's Messages API on the platform's chat models: `POST /v1/messages` runs the request as a chat job
 * (stateless: the request's messages are the prompt), answered as a message or as its typed event stream;
 * `POST /v1/messages/count_tokens` runs the same prompt as a dry run, so its count is the model tokenizer's exact
 * count of what a request with that prompt is charged as input. Routed (routes, remote targets, sensitivity, PII) and
 * metered like Chat Completions, as `messages`.
 */
@Injectable()
export class MessagesService {
  constructor(
    private readonly router: Router,
    private readonly runner: CompletionRunner,
    private readonly cache: ResponseCache,
  ) {}

  async create(reply: FastifyReply, principal: Principal, request: MessagesRequest, requestId: string) {
    this.checkModel(request.model, principal);
    const { messages, tools } = prompt(request);
    const stream = request.stream ?? false;
    const promptTokens = estimateTokens(JSON.stringify(messages) + JSON.stringify(tools.plan.tools ?? []));
    const route = this.router.planFor(request, principal, requestId, {
      messages,
      promptTokens,
      maxTokens: request.max_tokens,
      jsonFormat: tools.responseFormat !== undefined,
    });
    const sampling = toMessagesSampling(request);
    await this.runner.run(reply, {
      principal,
      endpoint: 'messages',
      reserveTokens: promptTokens + request.max_tokens,
      model: route.model.id,
      job: 'chat.complete.v1',
      payload: {
        requestId,
        model: route.model.id,
        stream,
        sampling,
        messages,
        dryRun: false,
        ...toolJobFields(tools),
      },
      stream,
      includeUsage: false,
      idPrefix: 'msg_',
      format: new MessagesFormat(request.model),
      route,
      cacheKey:
        this.cache.enabled && route.sensitivity !== 'confidential' && ResponseCache.deterministic(sampling)
          ? this.cache.key(principal, 'messages', [request.model, messages, sampling, toolJobFields(tools)])
          : undefined,
    });
  }

  /** A dry run on a local target: only the model's own tokenizer gives the exact count. */
  async countTokens(reply: FastifyReply, principal: Principal, request: CountTokensRequest, requestId: string) {
    this.checkModel(request.model, principal);
    const { messages, tools } = prompt(request);
    const route = this.router.planFor(request, principal, requestId, {
      messages,
      promptTokens: estimateTokens(JSON.stringify(messages) + JSON.stringify(tools.plan.tools ?? [])),
      localOnly: 'count_tokens',
    });
    await this.runner.run(reply, {
      principal,
      endpoint: 'messages',
      reserveTokens: 0,
      model: route.model.id,
      job: 'chat.complete.v1',
      payload: {
        requestId,
        model: route.model.id,
        stream: false,
        sampling: { stop: [] },
        messages,
        dryRun: true,
        ...toolJobFields(tools),
      },
      dryRun: true,
      stream: false,
      includeUsage: false,
      idPrefix: 'msg_',
      format: new MessagesFormat(request.model),
      route,
    });
  }

  /** A chat model or route the caller may use: 404 for an unknown one, 400 for one that cannot chat. */
  private checkModel(id: string, principal: Principal): void {
    try {
      this.router.check(id, principal, 'chat');
    } catch (err) {
      if (!(err instanceof ApiError) || err.code !== ApiErrorCode.UnsupportedCapability) throw err;
      throw new ApiError(
        err.code,
        `The model '${id}' is not supported on /v1/messages: it is not a chat model.`,
        'model',
      );
    }
  }
}

/** The job's prompt and tools; tools are checked first (a bad schema is a 400 before the messages are read). */
function prompt(r: CountTokensRequest): { messages: ChatMessage[]; tools: Omit<ChatToolRequest, 'legacy'> } {
  const tools = messagesToolPlan(r);
  return { messages: toJobMessages(r.system, r.messages), tools };
}
