import { z } from 'zod';

/** The chat-history service's own queue: summarization, expiry purges and the memory index. */
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

/**
 * Embeds the message items of one append and writes their vectors to the memory index (collection `chat_memory`).
 * Job id `memory-index-<first item id>`: a retried append (same items) indexes once; re-running it is harmless
 * (upsert by item id).
 */
export const MemoryIndexV1PayloadSchema = z.object({
  conversationId: z.string().min(1),
  itemIds: z.array(z.string().min(1)).min(1).max(100),
});
export const MemoryIndexV1ResultSchema = z.object({
  indexed: z.number().int().nonnegative(),
  /** Items with nothing to embed (not messages, empty text) or gone since the append. */
  skipped: z.number().int().nonnegative(),
});

/**
 * Deletes memory vectors whose synchronous deletion failed (with the conversation, the item or the user): retried
 * until the vector store takes it. At least one of the fields is set.
 */
export const MemoryForgetV1PayloadSchema = z
  .object({
    userId: z.string().uuid().optional(),
    conversationIds: z.array(z.string().min(1)).max(1000).optional(),
    itemIds: z.array(z.string().min(1)).max(1000).optional(),
  })
  .refine((p) => p.userId !== undefined || p.conversationIds?.length || p.itemIds?.length, {
    message: 'name a user, conversations or items',
  });
export const MemoryForgetV1ResultSchema = z.object({ deleted: z.number().int().nonnegative() });

export function memoryIndexJobId(itemIds: readonly string[]): string {
  return `memory-index-${itemIds[0]}`;
}
