import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { JobsOptions } from 'bullmq';
import {
  IngestProgress,
  IngestProgressSchema,
  RAG_INGEST_QUEUE,
  RagIngestV1Payload,
  ingestFraction,
  ragIngestJobId,
} from '@llmp/contracts';
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

  /**
   * How far the attachment's ingest job is: what it last reported, `queued` before it starts (or when its job is
   * gone for the sweep to enqueue again), null when Redis is unreachable.
   */
  async progress(ingestId: string): Promise<(IngestProgress & { fraction: number }) | null> {
    // Commands wait for a reconnect rather than fail (BullMQ's connections): never hold up a file's view on it.
    if (this.redis.client().status !== 'ready') return null;
    try {
      const job = await this.jobs.queue(RAG_INGEST_QUEUE).getJob(ragIngestJobId(ingestId));
      const parsed = IngestProgressSchema.safeParse(job?.progress);
      const p: IngestProgress = parsed.success
        ? parsed.data
        : { stage: 'queued', chunks_embedded: 0, chunks_total: null };
      return { ...p, fraction: Math.round(ingestFraction(p) * 1000) / 1000 };
    } catch {
      return null;
    }
  }

  state(ingestId: string) {
    return this.jobs.queue(RAG_INGEST_QUEUE).getJobState(ragIngestJobId(ingestId));
  }
}
