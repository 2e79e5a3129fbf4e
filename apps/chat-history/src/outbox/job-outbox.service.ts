import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { EntityManager } from 'typeorm';
import { JobName, JobPayload, isJobName } from '@llmp/contracts';
import { JobProducer, RedisFactory } from '@llmp/platform';
import { chatHistoryConfig } from '../config/chat-history.config';
import { JobOutboxMetrics } from './job-outbox.metrics';
import { ClaimedOutboxRow, JobOutboxRepository } from './job-outbox.repository';
import type { OutboxJob, OutboxJobOptions } from './outbox-job';

/** Rows the relay takes at once. */
const RELAY_BATCH = 100;

export interface RelayPass {
  /** Jobs Redis did not have, enqueued now (never taken, or lost by Redis). */
  enqueued: number;
  /** Jobs that could not be enqueued (retried at the next pass). */
  failed: number;
}

/**
 * The transactional outbox of the jobs appends ask for (`conversation.summarize.v1`, `memory.index.v1`). An append
 * stages its jobs in its own transaction; after the commit it enqueues them itself (the reply path pays the same
 * Redis round trips as without an outbox). A row stays until the job's processor has done the work, so whatever
 * happens between the commit and the end of the work (Redis down, full or restarted empty, the process killed) the
 * relay enqueues the job again, with its deterministic job id: an add Redis already holds is ignored.
 */
@Injectable()
export class JobOutbox {
  private readonly logger = new Logger(JobOutbox.name);

  constructor(
    private readonly rows: JobOutboxRepository,
    private readonly jobs: JobProducer,
    private readonly redis: RedisFactory,
    private readonly metrics: JobOutboxMetrics,
    @Inject(chatHistoryConfig.KEY) private readonly cfg: ConfigType<typeof chatHistoryConfig>,
  ) {}

  /** Writes the jobs in the append's transaction: committed with the items, or not at all. */
  stage(em: EntityManager, jobs: readonly OutboxJob[]): Promise<void> {
    // The append enqueues them itself right after the commit; the relay looks only once that has had its chance.
    return this.rows.insertMany(jobs, this.cfg.outbox.intervalMs, em);
  }

  /**
   * After the commit: enqueues the staged jobs. Never throws: the items are stored, and a job that could not be
   * enqueued is the relay's. While Redis is disconnected nothing is tried (the command would wait for the
   * reconnection and hold the reply).
   */
  async dispatch(jobs: readonly OutboxJob[]): Promise<void> {
    if (!jobs.length || !this.redisReady()) return;
    const results = await Promise.allSettled(jobs.map((job) => this.add(job.queue, job.name, job.payload, job)));
    results.forEach((result, i) => {
      if (result.status === 'fulfilled') return;
      this.metrics.count('append_enqueue_failed');
      const { jobId, name } = jobs[i]!;
      this.logger.warn(
        { err: (result.reason as Error).message, jobId, name },
        `could not enqueue ${name}: left in the job outbox, the relay enqueues it`,
      );
    });
  }

  /**
   * The job's work is done: its processor calls this before returning, so a row left behind always means work
   * left (if this fails the job is retried, and the work is idempotent).
   */
  async settle(jobId: string | undefined): Promise<void> {
    if (jobId !== undefined) await this.rows.deleteByJobIds([jobId]);
  }

  /**
   * One pass of the relay over the due rows: a job Redis does not have (never enqueued, or lost) is enqueued; one
   * that finished is dropped (the processor deletes the rows of the work it did, so this is one that failed for
   * good: its failure is in the queue's failed set); one still waiting or running is looked at again later.
   */
  async relay(): Promise<RelayPass> {
    const pass: RelayPass = { enqueued: 0, failed: 0 };
    if (!this.redisReady()) return pass;
    for (;;) {
      const rows = await this.rows.claimDue(RELAY_BATCH, this.cfg.outbox.intervalMs);
      const states = await Promise.all(rows.map((row) => this.jobs.queue(row.queue).getJobState(row.jobId)));
      const missing: ClaimedOutboxRow[] = [];
      const finished: ClaimedOutboxRow[] = [];
      const held: ClaimedOutboxRow[] = [];
      rows.forEach((row, i) => {
        const state = states[i];
        if (state === 'unknown') missing.push(row);
        else if (state === 'completed' || state === 'failed') finished.push(row);
        else held.push(row);
      });

      const results = await Promise.allSettled(missing.map((row) => this.addRow(row)));
      const added = missing.filter((_, i) => results[i]!.status === 'fulfilled');
      const refused = missing.filter((_, i) => results[i]!.status === 'rejected');
      await this.rows.markSent(
        [...added, ...held].map((r) => r.jobId),
        this.cfg.outbox.recheckMs,
      );
      await this.rows.deleteByJobIds(finished.map((r) => r.jobId));

      this.metrics.count('relayed', added.filter((r) => r.sentAt === null).length);
      this.metrics.count('requeued', added.filter((r) => r.sentAt !== null).length);
      this.metrics.count('abandoned', finished.length);
      if (finished.length) {
        this.logger.warn({ jobIds: finished.map((r) => r.jobId) }, 'job outbox: jobs failed for good, rows dropped');
      }
      pass.enqueued += added.length;
      if (refused.length) {
        const reason = (results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason as Error;
        await this.rows.recordFailure(
          refused.map((r) => r.jobId),
          reason.message,
        );
        this.metrics.count('relay_enqueue_failed', refused.length);
        this.logger.warn(`job outbox: ${refused.length} jobs could not be enqueued (${reason.message}); retrying`);
        pass.failed += refused.length;
        return pass;
      }
      if (rows.length < RELAY_BATCH) return pass;
    }
  }

  private addRow(row: ClaimedOutboxRow) {
    if (!isJobName(row.name)) return Promise.reject(new Error(`unknown job name ${row.name}`));
    // The producer validates the payload against the job's schema.
    return this.add(row.queue, row.name, row.payload as JobPayload<typeof row.name>, row);
  }

  private add<N extends JobName>(
    queue: string,
    name: N,
    payload: JobPayload<N>,
    job: { jobId: string; options: OutboxJobOptions },
  ) {
    return this.jobs.add(queue, name, payload, { ...job.options, jobId: job.jobId });
  }

  /** The producer's connection (JobProducer queues use the shared client) is up. */
  private redisReady(): boolean {
    return this.redis.client().status === 'ready';
  }
}
