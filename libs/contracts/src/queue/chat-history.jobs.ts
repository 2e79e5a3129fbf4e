import { z } from 'zod';

/** The chat-history service's own queue: summarization and expiry purges. */
export const CHAT_HISTORY_QUEUE = 'chat-history';

/**
 * Summarize a conversation's items with seq ≤ throughSeq (rolling: the previous summary plus the items after it).
 * Job id `summarize-<conversationId>-<throughSeq>`, so a repeated trigger does the work once.
 */
export const ConversationSummarizeV1PayloadSchema = z.object({
  conversationId: z.string().min(1),
  throughSeq: z.number().int().positive(),
});
export type ConversationSummarizeV1Payload = z.infer<typeof ConversationSummarizeV1PayloadSchema>;

export const ConversationSummarizeV1ResultSchema = z.object({
  /** Null when a summary through this seq (or later) already existed. */
  summaryId: z.string().nullable(),
  throughSeq: z.number().int(),
});

/** Deletes conversations whose expires_at has passed (repeatable, every CHAT_PURGE_INTERVAL_S). */
export const ConversationPurgeExpiredV1PayloadSchema = z.object({});
export const ConversationPurgeExpiredV1ResultSchema = z.object({ conversations: z.number().int().nonnegative() });

export function summarizeJobId(conversationId: string, throughSeq: number): string {
  return `summarize-${conversationId}-${throughSeq}`;
}
