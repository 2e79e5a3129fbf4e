import {
  JobName,
  JobPayload,
  RAG_INGEST_QUEUE,
  embeddingQueueName,
  inferenceQueueName,
  ragIngestJobId,
} from '@llmp/contracts';

/** The jobs internal services submit with the job client: generations, embeddings and vector store ingests. */
export type SubmittableJob = 'chat.complete.v1' | 'text.complete.v1' | 'embed.texts.v1' | 'rag.ingest.v1';

/** Jobs whose worker streams StreamEvents to the submitter's reply channel (`payload.replyTo`). */
export type ReplyJob = Exclude<SubmittableJob, 'rag.ingest.v1'>;

/** What a caller passes: the contract's payload, less the reply channel the client fills in itself. */
export type SubmitPayload<N extends SubmittableJob> = N extends ReplyJob
  ? Omit<JobPayload<N>, 'replyTo'>
  : JobPayload<N>;

interface JobRoute<N extends SubmittableJob> {
  /** The queue the job goes to, from its payload (inference and embedding queues are per model). */
  queue(payload: SubmitPayload<N>): string;
  /** Whether the worker answers on a reply channel (otherwise the result is BullMQ's return value). */
  reply: N extends ReplyJob ? true : false;
  /** The contract's job id, when the job has one (a retry of the same work must not be a second job). */
  jobId?(payload: SubmitPayload<N>): string;
  /** Default attempts: a second attempt runs when a worker dies mid-job. */
  attempts: number;
  removeOnComplete: boolean | { age: number };
  removeOnFail: { age: number; count?: number };
}

/**
 * Job options beside the contract, one entry per submittable job name, so call sites never choose queue names or
 * retention themselves. The generation and embedding entries match the gateway's own submissions.
 */
export const JOB_ROUTES: { [N in SubmittableJob]: JobRoute<N> } = {
  'chat.complete.v1': {
    queue: (p) => inferenceQueueName(p.model),
    reply: true,
    attempts: 2,
    removeOnComplete: true,
    removeOnFail: { age: 24 * 3600, count: 1000 },
  },
  'text.complete.v1': {
    queue: (p) => inferenceQueueName(p.model),
    reply: true,
    attempts: 2,
    removeOnComplete: true,
    removeOnFail: { age: 24 * 3600, count: 1000 },
  },
  'embed.texts.v1': {
    queue: (p) => embeddingQueueName(p.model),
    reply: true,
    attempts: 2,
    removeOnComplete: true,
    removeOnFail: { age: 24 * 3600, count: 1000 },
  },
  'rag.ingest.v1': {
    queue: () => RAG_INGEST_QUEUE,
    reply: false,
    jobId: (p) => ragIngestJobId(p.ingestId),
    attempts: 3,
    removeOnComplete: { age: 3600 },
    removeOnFail: { age: 7 * 24 * 3600 },
  },
};

export function isSubmittableJob(name: JobName): name is SubmittableJob {
  return Object.prototype.hasOwnProperty.call(JOB_ROUTES, name);
}

/** BullMQ's priority range: 1 is the highest; jobs without a priority are taken before any prioritized job. */
export const MAX_PRIORITY = 2_097_152;
