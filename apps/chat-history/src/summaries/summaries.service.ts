import { Injectable } from '@nestjs/common';
import { SUMMARY_ID_PREFIX, SummaryView } from '@llmp/contracts';
import { newId } from '../common/ids';
import type { ConversationEntity } from '../conversations/conversation.entity';
import { ConversationsRepository } from '../conversations/conversations.repository';
import { ChatHistoryError } from '../errors/chat-history.error';
import { SummariesRepository } from './summaries.repository';
import { toSummaryView } from './summary.view';

export interface NewSummaryRequest {
  /** Absent: the service's own summarizer (not scoped to a user). */
  userId?: string;
  conversationId: string;
  text: string;
  throughSeq: number;
  model?: string | null;
}

@Injectable()
export class SummariesService {
  constructor(
    private readonly summaries: SummariesRepository,
    private readonly conversations: ConversationsRepository,
  ) {}

  /** Stores a summary through `throughSeq` (≤ the conversation's newest seq); the same seq again answers the first. */
  async store(req: NewSummaryRequest): Promise<SummaryView> {
    const conversation: ConversationEntity | null =
      req.userId !== undefined
        ? await this.conversations.findOwned(req.userId, req.conversationId)
        : await this.conversations.findActive(req.conversationId);
    if (!conversation) throw ChatHistoryError.notFound('conversation', 'conversationId');
    if (req.throughSeq > conversation.lastSeq) {
      throw ChatHistoryError.invalid(
        `throughSeq ${req.throughSeq} is beyond the conversation's newest item (seq ${conversation.lastSeq}).`,
        'throughSeq',
      );
    }
    const stored = await this.summaries.insertOrGet({
      id: newId(SUMMARY_ID_PREFIX),
      conversationId: conversation.id,
      throughSeq: req.throughSeq,
      text: req.text,
      model: req.model ?? null,
    });
    return toSummaryView(stored);
  }
}
