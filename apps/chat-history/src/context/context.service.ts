import { Injectable } from '@nestjs/common';
import type { ConversationContext } from '@llmp/contracts';
import { ConversationsRepository } from '../conversations/conversations.repository';
import { ChatHistoryError } from '../errors/chat-history.error';
import { ItemsRepository } from '../items/items.repository';
import { toSequencedItemView } from '../items/item-normalizer';
import { SummariesRepository } from '../summaries/summaries.repository';

/** What a generation in a conversation needs: its system prompt, the latest summary, and the turns after it. */
@Injectable()
export class ContextService {
  constructor(
    private readonly conversations: ConversationsRepository,
    private readonly items: ItemsRepository,
    private readonly summaries: SummariesRepository,
  ) {}

  async load(userId: string, conversationId: string, maxTurns: number): Promise<ConversationContext> {
    const conversation = await this.conversations.findOwned(userId, conversationId);
    if (!conversation) throw ChatHistoryError.notFound('conversation', 'conversationId');
    const summary = await this.summaries.findLatest(conversation.id);
    const turns = await this.items.listNewestAfterOwned(userId, conversation.id, summary?.throughSeq ?? 0, maxTurns);
    return {
      conversation: { id: conversation.id, system_prompt: conversation.systemPrompt },
      summary: summary ? { id: summary.id, text: summary.text, through_seq: summary.throughSeq } : null,
      turns: turns.map(toSequencedItemView),
      memories: [],
    };
  }
}
