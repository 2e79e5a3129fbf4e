import type { JobsOptions } from 'bullmq';
import type { JobName, JobPayload } from '@llmp/contracts';

/** The BullMQ options an outbox row keeps (plain JSON); the job id is the row's own. */
export type OutboxJobOptions = Pick<JobsOptions, 'attempts' | 'backoff' | 'removeOnComplete' | 'removeOnFail'>;

/** A job an append asks for: staged in the append's transaction, enqueued after the commit. */
export type OutboxJob = {
  [N in JobName]: {
    queue: string;
    name: N;
    /** Deterministic, so a second add (the relay's) is ignored while Redis holds the job. */
    jobId: string;
    payload: JobPayload<N>;
    options: OutboxJobOptions;
    /** The conversation the work belongs to: its deletion drops the row. */
    conversationId: string;
  };
}[JobName];
