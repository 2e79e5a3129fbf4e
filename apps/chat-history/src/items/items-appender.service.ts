import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { EntityManager } from 'typeorm';
import type { ItemInput } from '@llmp/contracts';
import { newId } from '../common/ids';
import { chatHistoryConfig } from '../config/chat-history.config';
import type { ConversationEntity } from '../conversations/conversation.entity';
import { ConversationsRepository } from '../conversations/conversations.repository';
import { MemoryScheduler } from '../memory/memory-scheduler.service';
import { JobOutbox } from '../outbox/job-outbox.service';
import type { OutboxJob } from '../outbox/outbox-job';
import { SummariesRepository } from '../summaries/summaries.repository';
import { summaryBase, summaryCutoffOffset } from '../summaries/summary-plan';
import { SummaryScheduler } from '../summaries/summary-scheduler.service';
import type { ConversationItemEntity } from './conversation-item.entity';
import { ItemsRepository, NewItem } from './items.repository';
import { normalizeItem } from './item-normalizer';

export interface AppendOptions {
  idempotencyKey?: string;
  responseId?: string;
}

export interface AppendResult {
  items: ConversationItemEntity[];
  /** The jobs staged in the job outbox with the items: hand them to `JobOutbox.dispatch` once committed. */
  jobs: OutboxJob[];
}

/**
 * Appends items inside the caller's transaction. The caller holds the conversation row (locked, or just
 * inserted), so seqs are assigned from `last_seq` without races. The jobs the append asks for (a summary, the
 * memory index) are staged in the job outbox in the same transaction, so they cannot be lost after the commit.
 */
@Injectable()
export class ItemsAppender {
  constructor(
    private readonly items: ItemsRepository,
    private readonly conversations: ConversationsRepository,
    private readonly summaries: SummariesRepository,
    private readonly summaryJobs: SummaryScheduler,
    private readonly memoryJobs: MemoryScheduler,
    private readonly outbox: JobOutbox,
    @Inject(chatHistoryConfig.KEY) private readonly cfg: ConfigType<typeof chatHistoryConfig>,
  ) {}

  async append(
    em: EntityManager,
    conversation: ConversationEntity,
    inputs: ItemInput[],
    opts: AppendOptions = {},
  ): Promise<AppendResult> {
    if (opts.idempotencyKey !== undefined) {
      const earlier = await this.items.findByIdempotencyKey(conversation.id, opts.idempotencyKey, em);
      if (earlier.length) return { items: earlier, jobs: [] };
    }
    const rows: NewItem[] = inputs.map((input, position) => {
      const n = normalizeItem(input);
      return {
        id: newId(n.idPrefix),
        conversationId: conversation.id,
        seq: conversation.lastSeq + position + 1,
        type: n.type,
        role: n.role,
        body: n.body,
        responseId: opts.responseId ?? null,
        idempotencyKey: opts.idempotencyKey ?? null,
        position,
      };
    });
    const stored = await this.items.insertMany(rows, em);
    await this.conversations.setLastSeq(conversation.id, conversation.lastSeq + rows.length, em);
    const summarizeThrough = await this.planSummary(em, conversation);
    const jobs: OutboxJob[] = [];
    if (summarizeThrough !== null) jobs.push(this.summaryJobs.job(conversation.id, summarizeThrough));
    const index = this.memoryJobs.indexJob(conversation.id, stored);
    if (index) jobs.push(index);
    await this.outbox.stage(em, jobs);
    return { items: stored, jobs };
  }

  private async planSummary(em: EntityManager, conversation: ConversationEntity): Promise<number | null> {
    if (this.cfg.summary.triggerItems <= 0) return null;
    const latest = await this.summaries.findLatest(conversation.id, em);
    const base = summaryBase(latest?.throughSeq ?? null, conversation.summaryRequestedThrough);
    const offset = summaryCutoffOffset(await this.items.countAfter(conversation.id, base, em), this.cfg.summary);
    if (offset === null) return null;
    const through = await this.items.seqBeforeNewest(conversation.id, offset, em);
    if (through === null || through <= base) return null;
    await this.conversations.setSummaryRequestedThrough(conversation.id, through, em);
    return through;
  }
}
