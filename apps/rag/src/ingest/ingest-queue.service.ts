import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { JobsOptions } from 'bullmq';
import { RAG_INGEST_QUEUE, RagIngestV1Payload, ragIngestJobId } from '@llmp/contracts';
import { JobProducer, RedisFactory } from '@llmp/platform';
import { ragConfig } from '../config/rag.config';

/**
 * Enqueues ingest jobs (`rag.ingest.v1` on `rag-ingest`, job id `rag-ingest-<ingestId>`). An attach commits its
 * `in_progress` row first and enqueues after; if that enqueue is lost (Redis down, the process killed), the sweep
 * (IngestSweeper) finds the row without a live job and enqueues it again: the deterministic job id makes a second
 * add harmless while Redis holds the first.
 */
@Injectable()
export class IngestQueue {
  private readonly logger = new Logger(IngestQueue.name);

  constructor(
    private readonly jobs: JobProducer,
    private readonly redis: RedisFactory,
    @Inject(ragConfig.KEY) private readonly cfg: ConfigType<typeof ragConfig>,
  ) {}

  options(ingestId: string): JobsOptions {
    return {
      jobId: ragIngestJobId(ingestId),
      attempts: this.cfg.ingest.attempts,
      backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: { age: 3600, count: 10_000 },
      removeOnFail: { age: 86_400 },
    };
  }

  add(payload: RagIngestV1Payload) {
    return this.jobs.add(RAG_INGEST_QUEUE, 'rag.ingest.v1', payload, this.options(payload.ingestId));
  }

  /** After the commit: never throws (a job that could not be enqueued is the sweep's). */
  async dispatch(payloads: readonly RagIngestV1Payload[]): Promise<void> {
    if (!payloads.length || this.redis.client().status !== 'ready') return;
    const results = await Promise.allSettled(payloads.map((p) => this.add(p)));
    results.forEach((r, i) => {
      if (r.status === 'rejected') {
        this.logger.warn(
          { err: (r.reason as Error).message, ingestId: payloads[i]!.ingestId },
          'could not enqueue an ingest job: the sweep enqueues it',
        );
      }
    });
  }

  state(ingestId: string) {
    return this.jobs.queue(RAG_INGEST_QUEUE).getJobState(ragIngestJobId(ingestId));
  }
}
