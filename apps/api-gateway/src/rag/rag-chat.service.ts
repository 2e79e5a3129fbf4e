import { Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { ChatMessage, ItemInput, Principal, RetrievalSource } from '@llmp/contracts';
import { ApiError, ApiErrorCode } from '@llmp/platform';
import { assertScope } from '../auth/require-scope.decorator';
import { StatefulChat } from '../conversations/stateful-chat.service';
import { CompletionRunner, StartEvent, publicContext } from '../generation/completion-runner.service';
import { keptSources, withSources } from '../generation/grounding';
import { Grounding } from '../generation/grounding.service';
import { estimateTokens } from '../generation/token-estimate';
import { ModelCatalog } from '../models/model-catalog.service';
import { DefaultVectorStore } from './default-vector-store.service';
import { ragChatFormat } from './rag-chat.format';
import type { RagChatBody } from './rag-routes.dto';

/**
 * The seeds' `POST /v1/rag/chat`: the default vector store's best passages for the query, numbered in the prompt
 * (the model is told to cite them as [n]), then one generation; the answer comes with the sources the model saw.
 * On a conversation, its history is in the prompt too and the exchange is appended to it.
 */
@Injectable()
export class RagChat {
  constructor(
    private readonly catalog: ModelCatalog,
    private readonly runner: CompletionRunner,
    private readonly stateful: StatefulChat,
    private readonly grounding: Grounding,
    private readonly store: DefaultVectorStore,
  ) {}

  async answer(reply: FastifyReply, p: Principal, body: RagChatBody, requestId: string): Promise<void> {
    assertScope(p, 'files.read');
    const conversationId = body.conversation_id;
    if (conversationId) assertScope(p, 'conversations.write', 'conversation_id');
    const model = this.catalog.require(body.model ?? this.defaultModel(p), p, 'chat');
    const vectorStoreId = await this.store.find(p);
    const sources: RetrievalSource[] = vectorStoreId
      ? await this.grounding.search(p, {
          vectorStoreIds: [vectorStoreId],
          query: body.query,
          maxNumResults: body.num_context_docs,
          filters: body.filter,
          rankingOptions: { score_threshold: body.score_threshold },
          param: 'query',
        })
      : [];
    const input: ItemInput[] = [{ type: 'message', role: 'user', content: body.query }];
    const prompt: ChatMessage[] = conversationId
      ? await this.stateful.promptFor(p, conversationId, input)
      : [{ role: 'user', content: body.query, section: 'input' }];
    const messages = withSources(prompt, sources);
    const stream = body.stream ?? false;
    const kept = (start: StartEvent) => keptSources(sources, start.context?.droppedIds);
    const sampling = { maxTokens: body.max_tokens, temperature: body.temperature, stop: [] };
    await this.runner.run(reply, {
      principal: p,
      endpoint: 'chat.completions',
      reserveTokens:
        estimateTokens(messages.map((m) => m.content).join('\n')) + (body.max_tokens ?? model.default_max_tokens),
      model: model.id,
      job: 'chat.complete.v1',
      payload: { requestId, model: model.id, stream, sampling, messages, dryRun: false },
      stream,
      includeUsage: false,
      idPrefix: 'ragchat-',
      format: ragChatFormat(model.id),
      complete: async (result, start) => {
        const extra = { sources: kept(start) };
        if (!conversationId) return extra;
        await this.stateful.append(p, conversationId, input, result, start.jobId);
        return { ...extra, conversation_id: conversationId, context: publicContext(start) };
      },
    });
  }

  /** The first model the caller may chat with. */
  private defaultModel(p: Principal): string {
    for (const m of this.catalog.list(p)) {
      try {
        return this.catalog.require(m.id, p, 'chat').id;
      } catch {
        continue;
      }
    }
    throw new ApiError(ApiErrorCode.InvalidRequest, 'No chat model is available to this key.', 'model');
  }
}
