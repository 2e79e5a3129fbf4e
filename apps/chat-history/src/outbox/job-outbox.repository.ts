import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { JobOutboxEntity } from './job-outbox.entity';
import type { OutboxJob, OutboxJobOptions } from './outbox-job';

/** A row as the relay takes it. */
export interface ClaimedOutboxRow {
  jobId: string;
  queue: string;
  name: string;
  payload: unknown;
  options: OutboxJobOptions;
  /** Null while Redis is not known to have the job. */
  sentAt: Date | null;
  attempts: number;
}

export interface OutboxCounts {
  /** Committed, not yet enqueued. */
  unsent: number;
  /** Enqueued, not yet done. */
  sent: number;
}

/** The job outbox (`chat_history.job_outbox`): jobs appends asked for whose work is not done yet. */
@Injectable()
export class JobOutboxRepository {
  constructor(@InjectRepository(JobOutboxEntity) private readonly rows: Repository<JobOutboxEntity>) {}

  /** Stages the jobs in the caller's transaction; the relay leaves them alone for `graceMs` (the append sends them). */
  async insertMany(jobs: readonly OutboxJob[], graceMs: number, em: EntityManager): Promise<void> {
    if (!jobs.length) return;
    const values: unknown[] = [];
    const tuples = jobs.map((job, i) => {
      values.push(job.jobId, job.queue, job.name, JSON.stringify(job.payload), JSON.stringify(job.options));
      values.push(job.conversationId);
      const p = i * 6;
      return `($${p + 1}, $${p + 2}, $${p + 3}, $${p + 4}, $${p + 5}, $${p + 6}, now() + make_interval(secs => $${jobs.length * 6 + 1}::double precision))`;
    });
    values.push(graceMs / 1000);
    await em.query(
      `INSERT INTO "chat_history"."job_outbox" ("job_id", "queue", "name", "payload", "options", "conversation_id", "next_attempt_at")
       VALUES ${tuples.join(', ')} ON CONFLICT ("job_id") DO NOTHING`,
      values,
    );
  }

  /**
   * Takes up to `limit` rows that are due, oldest first, and leases them for `leaseMs` (other replicas skip them
   * meanwhile; a row whose enqueue fails is due again when the lease ends).
   */
  async claimDue(limit: number, leaseMs: number): Promise<ClaimedOutboxRow[]> {
    const result: unknown = await this.rows.query(
      `UPDATE "chat_history"."job_outbox" o
         SET "next_attempt_at" = now() + make_interval(secs => $2::double precision), "attempts" = o."attempts" + 1
       WHERE o."job_id" IN (
         SELECT "job_id" FROM "chat_history"."job_outbox" WHERE "next_attempt_at" <= now()
         ORDER BY "next_attempt_at" LIMIT $1 FOR UPDATE SKIP LOCKED
       )
       RETURNING o."job_id" AS "jobId", o."queue", o."name", o."payload", o."options", o."sent_at" AS "sentAt",
                 o."attempts"`,
      [limit, leaseMs / 1000],
    );
    return returnedRows<ClaimedOutboxRow>(result);
  }

  /** Redis has the jobs: look again after `recheckMs` (if they are still not done by then). */
  async markSent(jobIds: readonly string[], recheckMs: number): Promise<void> {
    if (!jobIds.length) return;
    await this.rows.query(
      `UPDATE "chat_history"."job_outbox"
         SET "sent_at" = coalesce("sent_at", now()), "last_error" = NULL,
             "next_attempt_at" = now() + make_interval(secs => $2::double precision)
       WHERE "job_id" = ANY($1)`,
      [[...jobIds], recheckMs / 1000],
    );
  }

  async recordFailure(jobIds: readonly string[], error: string): Promise<void> {
    if (!jobIds.length) return;
    await this.rows.query(`UPDATE "chat_history"."job_outbox" SET "last_error" = $2 WHERE "job_id" = ANY($1)`, [
      [...jobIds],
      error.slice(0, 2000),
    ]);
  }

  /** The work is done (or has failed for good): nothing is left to send. */
  async deleteByJobIds(jobIds: readonly string[]): Promise<void> {
    if (!jobIds.length) return;
    await this.rows.query(`DELETE FROM "chat_history"."job_outbox" WHERE "job_id" = ANY($1)`, [[...jobIds]]);
  }

  async counts(): Promise<OutboxCounts> {
    const [row] = (await this.rows.query(
      `SELECT count(*) FILTER (WHERE "sent_at" IS NULL)::int AS "unsent",
              count(*) FILTER (WHERE "sent_at" IS NOT NULL)::int AS "sent"
       FROM "chat_history"."job_outbox"`,
    )) as OutboxCounts[];
    return row ?? { unsent: 0, sent: 0 };
  }
}

/** `UPDATE … RETURNING` through query() answers [rows, count] with the pg driver. */
function returnedRows<T>(result: unknown): T[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') {
    return result[0] as T[];
  }
  return Array.isArray(result) ? (result as T[]) : [];
}
