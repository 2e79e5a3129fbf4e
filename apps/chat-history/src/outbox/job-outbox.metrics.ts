import { Injectable, Logger } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { registeredMetric } from '@llmp/platform';
import { JobOutboxRepository, OutboxCounts } from './job-outbox.repository';

/** What happened to outbox jobs, by event (see JobOutboxMetrics.events). */
export type OutboxEvent = 'append_enqueue_failed' | 'relayed' | 'requeued' | 'relay_enqueue_failed' | 'abandoned';

/** The latest metrics provider's row counter: the gauge is read when /metrics is scraped. */
let countRows: (() => Promise<OutboxCounts>) | undefined;

/** Job outbox metrics: the jobs committed and not done yet, and what the relay did. */
@Injectable()
export class JobOutboxMetrics {
  private static readonly logger = new Logger(JobOutboxMetrics.name);

  /** `state="unsent"`: committed, Redis has not taken the job yet (pending work); `state="sent"`: enqueued, not done. */
  readonly jobs = registeredMetric(
    'chat_history_job_outbox_jobs',
    () =>
      new Gauge({
        name: 'chat_history_job_outbox_jobs',
        help: 'Jobs appends committed whose work is not done, by state (unsent: not enqueued yet)',
        labelNames: ['state'],
        async collect() {
          try {
            const counts = await countRows?.();
            if (!counts) return;
            this.set({ state: 'unsent' }, counts.unsent);
            this.set({ state: 'sent' }, counts.sent);
          } catch (err) {
            // A scrape while Postgres is away keeps the last values rather than failing /metrics.
            JobOutboxMetrics.logger.warn(`job outbox gauge: ${(err as Error).message}`);
          }
        },
      }),
  );

  /**
   * `append_enqueue_failed`: an append's own enqueue failed (the relay sends it); `relayed`: the relay enqueued a job
   * Redis never had; `requeued`: … a job Redis had lost; `relay_enqueue_failed`: a relay enqueue failed (retried);
   * `abandoned`: the job failed for good, its row was dropped.
   */
  readonly events = registeredMetric(
    'chat_history_job_outbox_events_total',
    () =>
      new Counter({
        name: 'chat_history_job_outbox_events_total',
        help: 'Job outbox events (enqueue failures, jobs the relay enqueued or re-enqueued, jobs abandoned)',
        labelNames: ['event'],
      }),
  );

  constructor(rows: JobOutboxRepository) {
    countRows = () => rows.counts();
  }

  count(event: OutboxEvent, n = 1): void {
    if (n > 0) this.events.inc({ event }, n);
  }
}
