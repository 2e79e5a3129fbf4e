import { Injectable, Logger } from '@nestjs/common';
import { CHAT_HISTORY_QUEUE, summarizeJobId } from '@llmp/contracts';
import { JobProducer } from '@llmp/platform';

/** Enqueues summary jobs; one job per (conversation, throughSeq) whatever the number of triggers. */
@Injectable()
export class SummaryScheduler {
  private readonly logger = new Logger(SummaryScheduler.name);

  constructor(private readonly jobs: JobProducer) {}

  /**
   * Called after the append committed. A failure to enqueue is logged, not thrown: the items are stored, and the
   * next trigger asks for a summary reaching at least as far.
   */
  async request(conversationId: string, throughSeq: number): Promise<void> {
    try {
      await this.jobs.add(
        CHAT_HISTORY_QUEUE,
        'conversation.summarize.v1',
        { conversationId, throughSeq },
        {
          jobId: summarizeJobId(conversationId, throughSeq),
          attempts: 3,
          backoff: { type: 'exponential', delay: 2000 },
          removeOnComplete: { age: 3600 },
          removeOnFail: { age: 24 * 3600 },
        },
      );
    } catch (err) {
      this.logger.warn({ err, conversationId, throughSeq }, 'could not enqueue conversation.summarize.v1');
    }
  }
}
