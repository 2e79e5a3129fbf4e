import { InputFiles } from '../retrieval/input-files.service';
import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import {
  ChatMessage,
  GenerationResult,
  INCLUDE_FILE_SEARCH_RESULTS,
  ItemInput,
  ItemView,
  Principal,
  ResponsesRequest,
  RetrievalSource,
  responsesSampling,
  StoredResponse,
  StoredInputItem,
} from '@llmp/contracts';
import { ApiError, ApiErrorCode } from '@llmp/platform';
import { assertScope } from '../auth/require-scope.decorator';
import { ChatHistoryClient } from '../conversations/chat-history.client';
import { buildStatefulPrompt, checkToolAnswers, itemText } from '../conversations/conversation-prompt';
import { responsesToolPlan } from './responses-tools';
import { toolJobFields } from '../tools/tool-request';
import { StatefulChat } from '../conversations/stateful-chat.service';
import { Router } from '../routing/router.service';
import { ResponseCache } from '../cache/response-cache.service';
import { CompletionRunner, StartEvent, publicContext } from '../generation/completion-runner.service';
import { keptSources, withSources } from '../generation/grounding';
import { Grounding } from '../generation/grounding.service';
import { estimateTokens } from '../generation/token-estimate';
import { FileSearchCall, ResponsesFormat } from './responses-format';

/** How far back a previous_response_id chain is followed. */
const MAX_CHAIN = 50;

/**
 * OpenAI's Responses API: builds the prompt from the input plus either a conversation or a previous response
 * chain, runs it through the inference queue, stores the response (unless `store: false`) and appends the
 * exchange to the conversation.
 *
 * With the `file_search` tool, the platform calls it once, before generation, with the new input's last user
 * message as the query (a small local model cannot decide to call tools): the results become numbered sources in
 * the prompt, the response's output starts with the `file_search_call` item, and each `[n]` the model writes
 * naming a source it saw becomes a `file_citation` annotation. The stored response keeps the call item; a later
 * turn (previous_response_id or conversation) sees the earlier answers, not the earlier sources.
 */
@Injectable()
export class ResponsesService {
  constructor(
    private readonly router: Router,
    private readonly cache: ResponseCache,
    private readonly runner: CompletionRunner,
    private readonly history: ChatHistoryClient,
    private readonly stateful: StatefulChat,
    private readonly grounding: Grounding,
    private readonly files: InputFiles,
  ) {}

  async create(reply: FastifyReply, p: Principal, request: ResponsesRequest, requestId: string, dryRun: boolean) {
    this.router.check(request.model, p, 'chat');
    const tools = responsesToolPlan(request);
    const input: ItemInput[] =
      typeof request.input === 'string'
        ? [{ type: 'message', role: 'user', content: request.input }]
        : await this.files.toItems(p, request.input);
    const conversationId =
      typeof request.conversation === 'string' ? request.conversation : (request.conversation?.id ?? null);
    const previousId = request.previous_response_id ?? null;
    if (conversationId) assertScope(p, dryRun ? 'conversations.read' : 'conversations.write', 'conversation');
    if (previousId) assertScope(p, 'conversations.read', 'previous_response_id');
    const fileSearch = await this.fileSearch(p, request, input);
    const prompt = conversationId
      ? await this.stateful.promptFor(p, conversationId, input, request.instructions)
      : buildStatefulPrompt({
          systemPrompt: null,
          instructions: request.instructions,
          turns: previousId ? await this.chain(p, previousId) : [],
          input,
        });
    checkToolAnswers(prompt, 'input');
    const messages = fileSearch ? withSources(prompt, fileSearch.sources) : prompt;
    const sampling = responsesSampling(request);
    const promptTokens = estimate(messages) + estimateTokens(JSON.stringify(tools.plan.tools ?? []));
    const route = this.router.planFor(request, p, requestId, {
      messages,
      promptTokens,
      maxTokens: sampling.maxTokens,
      localOnly: sampling.logprobs != null ? 'logprobs' : undefined,
      jsonFormat: tools.responseFormat !== undefined,
    });
    const model = route.model;
    const format = new ResponsesFormat({
      model: request.model,
      request,
      conversationId,
      createdAt: Math.floor(Date.now() / 1000),
      logprobs: sampling.logprobs != null,
      fileSearch: fileSearch ?? undefined,
    });
    const kept = (start: StartEvent): RetrievalSource[] =>
      keptSources(fileSearch?.sources ?? [], start.context?.droppedIds);
    const store = request.store ?? true;
    const stream = (request.stream ?? false) && !dryRun;

    await this.runner.run(reply, {
      principal: p,
      endpoint: 'responses',
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
      stream,
      includeUsage: false,
      idPrefix: 'resp_',
      format,
      route,
      // Only what leaves no state: nothing stored, no conversation, no chain, no documents searched.
      cacheKey:
        this.cache.enabled &&
        !store &&
        !conversationId &&
        !previousId &&
        !fileSearch &&
        route.sensitivity !== 'confidential' &&
        ResponseCache.deterministic(sampling)
          ? this.cache.key(p, 'responses', [
              request.model,
              messages,
              sampling,
              toolJobFields(tools),
              request.text ?? null,
            ])
          : undefined,
      dryRun,
      dryRunFields: fileSearch ? (start) => ({ sources: kept(start) }) : undefined,
      complete: async (result, start) => {
        const id = `resp_${start.jobId.replace(/-/g, '')}`;
        format.keepSources(kept(start));
        const extra = { context: publicContext(start) };
        if (conversationId) await this.stateful.append(p, conversationId, input, result, start.jobId, id);
        if (store) await this.store(p, id, format, result, extra, input, conversationId, previousId);
        return extra;
      },
    });
  }

  /** Runs the request's `file_search` tool (when it has one) on its last user message. */
  private async fileSearch(p: Principal, r: ResponsesRequest, input: ItemInput[]): Promise<FileSearchCall | null> {
    const tool = r.tools?.find((t) => t.type === 'file_search');
    // The model may call no tool (`none`) or only functions: the platform does not search for it either.
    const choice = r.tool_choice;
    const onlyFunctions =
      typeof choice === 'object' &&
      choice !== null &&
      (choice.type === 'function' ||
        (choice.type === 'allowed_tools' && !choice.tools.some((t) => t.type === 'file_search')));
    if (!tool || choice === 'none' || onlyFunctions) return null;
    const users = input.filter((i) => i.type === 'message' && i.role === 'user');
    const query = users.length ? itemText(users[users.length - 1]!) : '';
    const sources = await this.grounding.search(p, {
      vectorStoreIds: tool.vector_store_ids,
      query,
      maxNumResults: tool.max_num_results,
      filters: tool.filters,
      rankingOptions: tool.ranking_options,
      param: 'tools',
    });
    return { query, sources, includeResults: (r.include ?? []).includes(INCLUDE_FILE_SEARCH_RESULTS) };
  }

  /** Items of the earlier responses, oldest first: each one's input and output. */
  private async chain(p: Principal, previousId: string): Promise<(ItemView & { id: string })[]> {
    const turns: (ItemView & { id: string })[][] = [];
    let next: string | null = previousId;
    for (let depth = 0; next && depth < MAX_CHAIN; depth++) {
      const id: string = next;
      const stored: StoredResponse = await this.history
        .call('getResponse', { userId: p.userId, id })
        .catch((err: unknown) => {
          if (err instanceof ApiError && err.code === ApiErrorCode.NotFound) {
            throw new ApiError(
              ApiErrorCode.PreviousResponseNotFound,
              `Previous response with id '${id}' not found.`,
              'previous_response_id',
            );
          }
          throw err;
        });
      // A file_search_call item is what the earlier turn retrieved, not something said: its answer carries it.
      const output = ((stored.response.output as { type: string }[] | undefined) ?? []).filter(
        (item) => item.type !== 'file_search_call',
      ) as ItemView[];
      turns.unshift([...(stored.inputItems as unknown as ItemView[]), ...output]);
      next = stored.previousResponseId;
    }
    return turns.flat();
  }

  private async store(
    p: Principal,
    id: string,
    format: ResponsesFormat,
    result: GenerationResult,
    extra: Record<string, unknown>,
    input: ItemInput[],
    conversationId: string | null,
    previousResponseId: string | null,
  ): Promise<void> {
    const inputItems: StoredInputItem[] = input.map((item, i) => ({
      ...item,
      ...(item.type === 'message' && typeof item.content === 'string'
        ? { content: [{ type: item.role === 'assistant' ? 'output_text' : 'input_text', text: item.content }] }
        : {}),
      id: `msg_${randomBytes(12).toString('hex')}${i}`,
    }));
    await this.history.call('storeResponse', {
      userId: p.userId,
      response: format.response(id, result, extra),
      inputItems,
      conversationId: conversationId ?? undefined,
      previousResponseId: previousResponseId ?? undefined,
    });
  }
}

function estimate(messages: ChatMessage[]): number {
  return estimateTokens(messages.map((m) => m.content).join('\n'));
}
