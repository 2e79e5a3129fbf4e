import { z } from 'zod';
import { ChatCompleteV1PayloadSchema, GenerationResultSchema, TextCompleteV1PayloadSchema } from './inference.jobs';
import {
  UsageRecordBatchV1PayloadSchema,
  UsageRecordBatchV1ResultSchema,
  UsageRecordV1PayloadSchema,
  UsageRecordV1ResultSchema,
} from './usage.jobs';
import { EmbedTextsV1PayloadSchema, EmbedTextsV1ResultSchema } from './embedding.jobs';
import {
  ConversationPurgeExpiredV1PayloadSchema,
  ConversationPurgeExpiredV1ResultSchema,
  ConversationSummarizeV1PayloadSchema,
  ConversationSummarizeV1ResultSchema,
  MemoryForgetV1PayloadSchema,
  MemoryForgetV1ResultSchema,
  MemoryIndexV1PayloadSchema,
  MemoryIndexV1ResultSchema,
} from './chat-history.jobs';
import { RagIngestV1PayloadSchema, RagIngestV1ResultSchema } from './rag.jobs';
import { BatchRunV1PayloadSchema, BatchRunV1ResultSchema } from './batch.jobs';

/**
 * The queue contract: every job name maps to exactly one queue family, one payload schema and one result schema.
 * A breaking change adds `<name>.v2` beside `.v1`; both stay until no producer sends the old one.
 */
export const JOBS = {
  'chat.complete.v1': { queue: 'inference', payload: ChatCompleteV1PayloadSchema, result: GenerationResultSchema },
  'text.complete.v1': { queue: 'inference', payload: TextCompleteV1PayloadSchema, result: GenerationResultSchema },
  'usage.record.v1': { queue: 'usage', payload: UsageRecordV1PayloadSchema, result: UsageRecordV1ResultSchema },
  'usage.record-batch.v1': {
    queue: 'usage',
    payload: UsageRecordBatchV1PayloadSchema,
    result: UsageRecordBatchV1ResultSchema,
  },
  'embed.texts.v1': { queue: 'embedding', payload: EmbedTextsV1PayloadSchema, result: EmbedTextsV1ResultSchema },
  'conversation.summarize.v1': {
    queue: 'chat-history',
    payload: ConversationSummarizeV1PayloadSchema,
    result: ConversationSummarizeV1ResultSchema,
  },
  'conversation.purge-expired.v1': {
    queue: 'chat-history',
    payload: ConversationPurgeExpiredV1PayloadSchema,
    result: ConversationPurgeExpiredV1ResultSchema,
  },
  'memory.index.v1': { queue: 'chat-history', payload: MemoryIndexV1PayloadSchema, result: MemoryIndexV1ResultSchema },
  'memory.forget.v1': {
    queue: 'chat-history',
    payload: MemoryForgetV1PayloadSchema,
    result: MemoryForgetV1ResultSchema,
  },
  'rag.ingest.v1': { queue: 'rag-ingest', payload: RagIngestV1PayloadSchema, result: RagIngestV1ResultSchema },
  'batch.run.v1': { queue: 'batch', payload: BatchRunV1PayloadSchema, result: BatchRunV1ResultSchema },
} as const;

export type JobName = keyof typeof JOBS;
export type QueueFamily = (typeof JOBS)[JobName]['queue'];
export type JobsOf<Q extends QueueFamily> = {
  [N in JobName]: (typeof JOBS)[N]['queue'] extends Q ? N : never;
}[JobName];
export type JobPayload<N extends JobName> = z.input<(typeof JOBS)[N]['payload']>;
export type ParsedJobPayload<N extends JobName> = z.output<(typeof JOBS)[N]['payload']>;
export type JobResult<N extends JobName> = z.output<(typeof JOBS)[N]['result']>;

export function jobNamesOf<Q extends QueueFamily>(queue: Q): JobsOf<Q>[] {
  return (Object.keys(JOBS) as JobName[]).filter((n) => JOBS[n].queue === queue) as JobsOf<Q>[];
}

export function isJobName(name: string): name is JobName {
  return Object.prototype.hasOwnProperty.call(JOBS, name);
}
