import { Injectable } from '@nestjs/common';
import { CHAT_HISTORY_QUEUE, summarizeJobId } from '@llmp/contracts';
import type { OutboxJob } from '../outbox/outbox-job';

/** The summary jobs appends ask for; one job per (conversation, throughSeq) whatever the number of triggers. */
@Injectable()
export class SummaryScheduler {
  /** The `conversation.summarize.v1` job an append stages in the job outbox (it is enqueued after the commit). */
  job(conversationId: string, throughSeq: number): OutboxJob {
    return {
      queue: CHAT_HISTORY_QUEUE,
      name: 'conversation.summarize.v1',
      jobId: summarizeJobId(conversationId, throughSeq),
      payload: { conversationId, throughSeq },
      options: {
        attempts: 3,
        backoff: { type: 'exponential', delay: 2000 },
        removeOnComplete: { age: 3600 },
        removeOnFail: { age: 24 * 3600 },
      },
      conversationId,
    };
  }
}
