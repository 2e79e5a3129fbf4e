import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Principal, USAGE_QUEUE, Usage, UsageRecordV1Payload } from '@llmp/contracts';
import { JobProducer } from '@llmp/platform';
import { Coalescer } from './coalescer';
import { Spend } from './spend.service';

/** How long a usage record waits for others to share its job. What a crash of the gateway can lose: see below. */
export const USAGE_BATCH_WINDOW_MS = 20;
/** Most records in one `usage.record-batch.v1` job (the contract allows more). */
export const USAGE_RECORDS_PER_JOB = 250;
/** Tries to enqueue one batch while Redis refuses it, and the pause before each retry. */
const ENQUEUE_ATTEMPTS = 3;
const ENQUEUE_RETRY_MS = 500;

/**
 * Records token usage through the usage queue, never awaited by the response. Records are coalesced: those of
 * the same few milliseconds (at most USAGE_BATCH_WINDOW_MS, at most USAGE_RECORDS_PER_JOB) travel as one
 * `usage.record-batch.v1` job, which the auth app inserts in one statement, once per request id, so a retried job
 * or a re-sent batch never counts twice. Under load that is one job for many requests instead of a job each.
 *
 * Shutdown: the waiting records are enqueued (and their jobs acknowledged by Redis) before the gateway's Redis
 * connections close; records of requests that end during the shutdown are enqueued at once. A crash (SIGKILL, OOM)
 * loses the records not yet acknowledged by Redis: those of the last USAGE_BATCH_WINDOW_MS at most, plus any batch
 * whose enqueue was in flight (one Redis round trip), the same exposure as the un-awaited job per request had.
 */
@Injectable()
export class UsageRecorder implements OnApplicationShutdown {
  private readonly logger = new Logger(UsageRecorder.name);
  private readonly batches = new Coalescer<UsageRecordV1Payload>((records) => this.enqueue(records), {
    windowMs: USAGE_BATCH_WINDOW_MS,
    maxItems: USAGE_RECORDS_PER_JOB,
  });

  constructor(
    private readonly producer: JobProducer,
    private readonly spend: Spend,
  ) {}

  record(
    p: Principal,
    requestId: string,
    model: string,
    endpoint: UsageRecordV1Payload['endpoint'],
    usage: Usage,
  ): void {
    const cost = this.spend.costOf(model, usage);
    if (cost) this.spend.add(p, cost);
    this.batches.push({
      requestId,
      userId: p.userId,
      apiKeyId: p.keyId,
      model,
      endpoint,
      promptTokens: usage.promptTokens,
      completionTokens: usage.completionTokens,
      ...(cost ? { cost } : {}),
      at: Date.now(),
    });
  }

  /** Enqueues every waiting record now and waits until Redis has them (shutdown; tests). */
  flush(): Promise<void> {
    return this.batches.drain();
  }

  /**
   * Runs before the queue producer and the Redis connections close (Nest ends global modules, QueueModule and
   * RedisModule, last), after the HTTP server has stopped taking requests.
   */
  async onApplicationShutdown(): Promise<void> {
    await this.batches.close();
  }

  private async enqueue(records: UsageRecordV1Payload[]): Promise<void> {
    // The same batch always gets the same job id: a retry after an enqueue that did land is not a second job.
    const jobId = `usage-batch-${createHash('sha256')
      .update(records.map((r) => r.requestId).join('\n'))
      .digest('base64url')}`;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.producer.add(
          USAGE_QUEUE,
          'usage.record-batch.v1',
          { records },
          {
            jobId,
            attempts: 10,
            backoff: { type: 'exponential', delay: 1000 },
            removeOnComplete: true,
            removeOnFail: { age: 7 * 24 * 3600 },
          },
        );
        return;
      } catch (err) {
        if (attempt >= ENQUEUE_ATTEMPTS) {
          this.logger.error(
            { err, records: records.length, requestIds: records.map((r) => r.requestId) },
            `could not enqueue ${records.length} usage records`,
          );
          return;
        }
        await sleep(ENQUEUE_RETRY_MS * attempt);
      }
    }
  }
}
