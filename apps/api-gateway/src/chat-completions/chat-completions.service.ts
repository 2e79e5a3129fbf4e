import { Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type {
  ChatCompletionRequest,
  GenerationResult,
  Principal,
  RetrievalSource,
  ToolDefinition,
} from '@llmp/contracts';
import { ApiError, ApiErrorCode } from '@llmp/platform';
import { assertScope } from '../auth/require-scope.decorator';
import { StatefulChat } from '../conversations/stateful-chat.service';
import { CompletionRunner, StartEvent, publicContext } from '../generation/completion-runner.service';
import { keptSources, withSources } from '../generation/grounding';
import { Grounding } from '../generation/grounding.service';
import { toSampling } from '../generation/openai-mappers';
import { chatToolRequest, textOf, toChatMessages, toConversationInput } from './chat-tools';
import { checkToolAnswers } from '../conversations/conversation-prompt';
import { toolJobFields } from '../tools/tool-request';
import { FunctionRegistry } from '../functions/function-registry.service';
import { ServerToolLoop, serverTools } from './server-tool-loop.service';
import { estimateTokens } from '../generation/token-estimate';
import { Router } from '../routing/router.service';
import { ResponseCache } from '../cache/response-cache.service';
import { InputFiles } from '../retrieval/input-files.service';
import { chatFormat } from './chat-completion.format';

/**
 * `POST /v1/chat/completions`: stateless (the request's messages are the prompt) or stateful on a stored
 * conversation (`conversation_id`: the messages are the new input, history comes from the conversation and the
 * exchange is appended), or a dry run that returns the rendered prompt.
 *
 * With the `file_search` extension, the last user message searches the caller's vector stores first; the results
 * go into the prompt as numbered sources (a `retrieval` section, its tokens in the dry run's `context.tokens`) and
 * the response (or a stream's final chunk) carries the sources the model saw as the `sources` extension field.
 */
@Injectable()
export class ChatCompletionsService {
  constructor(
    private readonly router: Router,
    private readonly cache: ResponseCache,
    private readonly files: InputFiles,
    private readonly runner: CompletionRunner,
    private readonly stateful: StatefulChat,
    private readonly grounding: Grounding,
    private readonly functions: FunctionRegistry,
    private readonly loop: ServerToolLoop,
  ) {}

  async create(
    reply: FastifyReply,
    principal: Principal,
    raw: ChatCompletionRequest,
    requestId: string,
    dryRun: boolean,
  ): Promise<void> {
    this.router.check(raw.model, principal, 'chat');
    // `file` parts become the text of their files before anything reads the messages.
    const request = { ...raw, messages: await this.files.toChatMessages(principal, raw.messages) };
    const sampling = toSampling(request);
    const stream = (request.stream ?? false) && !dryRun;
    const conversationId = request.conversation_id;
    if (conversationId)
      assertScope(principal, dryRun ? 'conversations.read' : 'conversations.write', 'conversation_id');
    const server = request.tool_execution === 'server';
    const tools = chatToolRequest(
      server ? { ...request, tools: serverTools(this.functions, request).map(asTool), functions: undefined } : request,
    );
    if (conversationId && tools.legacy) {
      throw new ApiError(
        ApiErrorCode.UnsupportedParameter,
        "The legacy 'functions' cannot be used with conversation_id (their calls carry no id to store): use tools.",
        'functions',
      );
    }
    // Checked first: tool messages answer calls, every call is answered (on a conversation: once its history is in).
    const stateless = conversationId ? null : toChatMessages(request.messages);
    const input = conversationId ? toConversationInput(request.messages) : [];
    const sources = request.file_search ? await this.search(principal, request) : null;
    const prompt = stateless ?? (await this.stateful.promptFor(principal, conversationId!, input));
    if (!stateless) checkToolAnswers(prompt, 'messages');
    const messages = sources ? withSources(prompt, sources) : prompt;
    const kept = (start: StartEvent) => keptSources(sources ?? [], start.context?.droppedIds);
    const complete =
      conversationId || sources
        ? async (result: GenerationResult, start: StartEvent) => {
            const extra: Record<string, unknown> = sources ? { sources: kept(start) } : {};
            if (!conversationId) return extra;
            await this.stateful.append(principal, conversationId, input, result, start.jobId);
            return { ...extra, conversation_id: conversationId, context: publicContext(start) };
          }
        : undefined;
    const includeUsage = request.stream_options?.include_usage ?? false;
    const promptTokens =
      estimateTokens(JSON.stringify(messages) + JSON.stringify(tools.plan.tools ?? [])) +
      estimateTokens((sources ?? []).map((s) => s.text).join('\n'));
    const route = this.router.planFor(request, principal, requestId, {
      messages,
      promptTokens,
      maxTokens: sampling.maxTokens,
      localOnly: localOnlyFeature(request),
      jsonFormat: tools.responseFormat !== undefined,
    });
    const model = route.model;
    if (server && !dryRun) {
      return this.loop.run(reply, {
        base: {
          requestId,
          model: model.id,
          stream,
          sampling,
          dryRun: false,
          ...(tools.responseFormat ? { responseFormat: tools.responseFormat } : {}),
        },
        principal,
        defaultMaxTokens: model.default_max_tokens,
        messages,
        tools,
        stream,
        includeUsage,
        complete,
        route,
      });
    }
    await this.runner.run(reply, {
      principal,
      endpoint: 'chat.completions',
      reserveTokens: dryRun ? 0 : promptTokens + (sampling.maxTokens ?? model.default_max_tokens),
      model: model.id,
      job: 'chat.complete.v1',
      payload: {
        requestId,
        model: model.id,
        stream,
        sampling,
        messages,
        dryRun,
        ...toolJobFields(tools),
      },
      dryRun,
      dryRunFields: sources ? (start) => ({ sources: kept(start) }) : undefined,
      complete,
      stream,
      includeUsage,
      idPrefix: 'chatcmpl-',
      format: chatFormat(request.model, sampling.logprobs != null, tools.legacy),
      route,
      cacheKey:
        this.cache.enabled &&
        !conversationId &&
        !sources &&
        route.sensitivity !== 'confidential' &&
        ResponseCache.deterministic(sampling)
          ? this.cache.key(principal, 'chat.completions', [
              request.model,
              messages,
              sampling,
              toolJobFields(tools),
              tools.legacy,
            ])
          : undefined,
    });
  }

  /** The `file_search` extension's sources, searched with the last user message. */
  private search(p: Principal, request: ChatCompletionRequest): Promise<RetrievalSource[]> {
    const fs = request.file_search!;
    const last = request.messages.filter((m) => m.role === 'user').pop();
    const query = last ? textOf(last.content) : '';
    return this.grounding.search(p, {
      vectorStoreIds: fs.vector_store_ids,
      query,
      maxNumResults: fs.max_num_results,
      filters: fs.filters,
      rankingOptions: fs.ranking_options,
      param: 'file_search',
    });
  }
}

/** A request field only local models serve (token ids and logprobs are the local tokenizer's). */
function localOnlyFeature(r: ChatCompletionRequest): string | undefined {
  if (r.logprobs) return 'logprobs';
  if (r.logit_bias && Object.keys(r.logit_bias).length) return 'logit_bias';
  return undefined;
}

const asTool = (t: ToolDefinition) => ({ type: 'function' as const, function: t });
