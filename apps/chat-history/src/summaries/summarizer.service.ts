import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Job, UnrecoverableError } from 'bullmq';
import type { JobResult, ParsedJobPayload } from '@llmp/contracts';
import { ConversationsRepository } from '../conversations/conversations.repository';
import { ItemsRepository } from '../items/items.repository';
import { toItemView } from '../items/item-normalizer';
import { chatHistoryConfig } from '../config/chat-history.config';
import { SummariesRepository } from './summaries.repository';
import { SummariesService } from './summaries.service';
import { buildSummaryMessages } from './summary-prompt';
import { SummaryModelClient } from './summary-model.client';

/** The `conversation.summarize.v1` job: a rolling summary (the previous one plus the items after it). */
@Injectable()
export class SummarizerService {
  constructor(
    private readonly conversations: ConversationsRepository,
    private readonly items: ItemsRepository,
    private readonly summaries: SummariesRepository,
    private readonly store: SummariesService,
    private readonly model: SummaryModelClient,
    @Inject(chatHistoryConfig.KEY) private readonly cfg: ConfigType<typeof chatHistoryConfig>,
  ) {}

  async summarize(
    payload: ParsedJobPayload<'conversation.summarize.v1'>,
    job: Job,
  ): Promise<JobResult<'conversation.summarize.v1'>> {
    const { conversationId, throughSeq } = payload;
    const conversation = await this.conversations.findActive(conversationId);
    if (!conversation) throw new UnrecoverableError(`conversation ${conversationId} was deleted or has expired`);
    if (throughSeq > conversation.lastSeq) {
      throw new UnrecoverableError(`conversation ${conversationId} has no item with seq ${throughSeq}`);
    }
    const previous = await this.summaries.findLatest(conversationId);
    if (previous && previous.throughSeq >= throughSeq) return { summaryId: null, throughSeq: previous.throughSeq };

    const items = await this.items.listRange(conversationId, previous?.throughSeq ?? 0, throughSeq);
    let text: string;
    if (items.length === 0) {
      // The items were deleted since: the previous summary still says everything there is.
      if (!previous) return { summaryId: null, throughSeq };
      text = previous.text;
    } else {
      const messages = buildSummaryMessages(
        previous?.text ?? null,
        items.map(toItemView),
        this.cfg.summary.inputMaxChars,
      );
      // One inference job per attempt: a failed attempt's job id is taken.
      text = await this.model.complete(messages, `${job.id}-a${job.attemptsMade}`);
      if (!text) text = previous?.text ?? '(no summary)';
    }
    const summary = await this.store.store({ conversationId, throughSeq, text, model: this.model.model });
    return { summaryId: summary.id, throughSeq };
  }
}
