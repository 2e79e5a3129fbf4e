import { Injectable } from '@nestjs/common';
import type { ConversationContext, ParsedChatHistoryRpcRequest } from '@llmp/contracts';
import { ConversationsRepository } from '../conversations/conversations.repository';
import { ChatHistoryError } from '../errors/chat-history.error';
import { ItemsRepository } from '../items/items.repository';
import { toSequencedItemView } from '../items/item-normalizer';
import { MemoryRecall } from '../memory/memory-recall.service';
import { SummariesRepository } from '../summaries/summaries.repository';

/**
 * What a generation in a conversation needs: its system prompt, the latest summary, the turns after it and, for a
 * query, the user's earlier messages nearest it in meaning (never one of those turns).
 */
@Injectable()
export class ContextService {
  constructor(
    private readonly conversations: ConversationsRepository,
    private readonly items: ItemsRepository,
    private readonly summaries: SummariesRepository,
    private readonly memory: MemoryRecall,
  ) {}

  async load(req: ParsedChatHistoryRpcRequest<'loadContext'>): Promise<ConversationContext> {
    const { userId, conversationId, maxTurns } = req;
    const recall = this.memory.options(req.recall);
    // The query is embedded while the context loads (never rejects: no vector, no memories).
    const queryVector = this.memory.embedQuery(req.query, recall);
    // The summary is read alongside the ownership check; it is used only if the conversation is the user's.
    const [conversation, summary] = await Promise.all([
      this.conversations.findOwned(userId, conversationId),
      this.summaries.findLatest(conversationId),
    ]);
    if (!conversation) throw ChatHistoryError.notFound('conversation', 'conversationId');
    const turns = await this.items.listNewestAfterOwned(userId, conversation.id, summary?.throughSeq ?? 0, maxTurns);
    const memories = await this.memory.recall(
      userId,
      queryVector,
      turns.map((t) => t.id),
      recall,
    );
    return {
      conversation: { id: conversation.id, system_prompt: conversation.systemPrompt },
      summary: summary ? { id: summary.id, text: summary.text, through_seq: summary.throughSeq } : null,
      turns: turns.map(toSequencedItemView),
      memories,
    };
  }
}
