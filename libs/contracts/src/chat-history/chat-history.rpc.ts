import { z } from 'zod';
import type { ListPage } from '../auth/auth.schemas';
import {
  ConversationContext,
  ConversationDeleted,
  ConversationExport,
  ConversationView,
  CreateConversationBodySchema,
  ExportFormatSchema,
  HistoryListQuerySchema,
  ItemInputListSchema,
  ItemView,
  ResponseDeleted,
  StoredInputItem,
  StoredInputItemSchema,
  StoredResponse,
  StoredResponseObjectSchema,
  SummaryView,
  UpdateConversationBodySchema,
  UserHistoryPurged,
} from './conversations.schemas';

const userId = z.string().uuid();

/** Longest recall query (the new input's text); longer inputs are cut by the caller, keeping the end. */
export const MAX_RECALL_QUERY_CHARS = 8000;
/** Ids are opaque strings here: a malformed or unknown one is answered not_found, never invalid_request. */
const anyId = z.string();

/**
 * Request/response patterns the chat-history app serves over @nestjs/microservices (Redis transport). Every
 * request carries the caller's `userId` and is answered only from that user's data: another user's id, an unknown
 * or a malformed one, or an expired conversation are all `not_found`. Failures come back as a
 * `ChatHistoryRpcError` payload.
 */
export const CHAT_HISTORY_RPC = {
  createConversation: {
    pattern: 'chat-history.conversation.create.v1',
    request: CreateConversationBodySchema.extend({ userId }),
  },
  getConversation: { pattern: 'chat-history.conversation.get.v1', request: z.object({ userId, id: anyId }) },
  updateConversation: {
    pattern: 'chat-history.conversation.update.v1',
    request: UpdateConversationBodySchema.extend({ userId, id: anyId }),
  },
  deleteConversation: { pattern: 'chat-history.conversation.delete.v1', request: z.object({ userId, id: anyId }) },
  /** The user's conversations, newest first by default. */
  listConversations: {
    pattern: 'chat-history.conversation.list.v1',
    request: HistoryListQuerySchema.extend({ userId }),
  },
  exportConversation: {
    pattern: 'chat-history.conversation.export.v1',
    request: z.object({ userId, id: anyId, format: ExportFormatSchema.default('json') }),
  },

  /**
   * Appends 1..20 items in one transaction, after every item already there. With `idempotencyKey`, a retry with
   * the same key answers the items stored the first time instead of appending again. `responseId` links the
   * items to the response that produced them.
   */
  createItems: {
    pattern: 'chat-history.item.create.v1',
    request: z.object({
      userId,
      conversationId: anyId,
      items: ItemInputListSchema,
      idempotencyKey: z.string().min(1).max(256).optional(),
      responseId: z.string().min(1).max(256).optional(),
    }),
  },
  /** Items, newest first by default (OpenAI); `after` is an item id. */
  listItems: {
    pattern: 'chat-history.item.list.v1',
    request: HistoryListQuerySchema.extend({ userId, conversationId: anyId }),
  },
  getItem: {
    pattern: 'chat-history.item.get.v1',
    request: z.object({ userId, conversationId: anyId, itemId: anyId }),
  },
  /** Deletes one item; answers the conversation (as OpenAI does). */
  deleteItem: {
    pattern: 'chat-history.item.delete.v1',
    request: z.object({ userId, conversationId: anyId, itemId: anyId }),
  },

  /**
   * What a generation needs: system prompt, latest summary, the turns after it (chronological) and, when a `query`
   * is given, memories recalled by meaning from the user's stored messages (all conversations; never the turns
   * returned). `recall` overrides the service's defaults (CHAT_RECALL_K, CHAT_RECALL_MIN_SCORE); k 0 recalls nothing.
   */
  loadContext: {
    pattern: 'chat-history.context.load.v1',
    request: z.object({
      userId,
      conversationId: anyId,
      maxTurns: z.number().int().min(1).max(1000).default(200),
      query: z.string().max(MAX_RECALL_QUERY_CHARS).optional(),
      recall: z
        .object({ k: z.number().int().min(0).max(50).optional(), minScore: z.number().min(-1).max(1).optional() })
        .optional(),
    }),
  },

  /**
   * Stores (or replaces) a Responses API object with its input items. `conversationId` / `previousResponseId`
   * must be the user's (else not_found with that param). A response of a conversation is deleted with it.
   */
  storeResponse: {
    pattern: 'chat-history.response.store.v1',
    request: z.object({
      userId,
      response: StoredResponseObjectSchema,
      inputItems: z.array(StoredInputItemSchema).max(10_000).default([]),
      conversationId: anyId.optional(),
      previousResponseId: anyId.optional(),
    }),
  },
  getResponse: { pattern: 'chat-history.response.get.v1', request: z.object({ userId, id: anyId }) },
  deleteResponse: { pattern: 'chat-history.response.delete.v1', request: z.object({ userId, id: anyId }) },
  /** A stored response's input items; default order desc (OpenAI); `after` is an input item id. */
  listResponseInputItems: {
    pattern: 'chat-history.response-input-items.list.v1',
    request: HistoryListQuerySchema.extend({ userId, id: anyId }),
  },

  /**
   * Stores a summary covering every item with seq ≤ throughSeq (the summarizer job uses it; without userId the
   * conversation is not scoped to a user). Storing the same throughSeq again answers the existing summary.
   */
  storeSummary: {
    pattern: 'chat-history.summary.store.v1',
    request: z.object({
      userId: userId.optional(),
      conversationId: anyId,
      text: z.string().min(1).max(200_000),
      throughSeq: z.number().int().positive(),
    }),
  },

  /** Deletes every conversation, item, summary, stored response and memory vector of the user. */
  purgeUser: { pattern: 'chat-history.user.purge.v1', request: z.object({ userId }) },
} as const;

export type ChatHistoryRpcName = keyof typeof CHAT_HISTORY_RPC;
export type ChatHistoryRpcRequest<N extends ChatHistoryRpcName> = z.input<(typeof CHAT_HISTORY_RPC)[N]['request']>;
export type ParsedChatHistoryRpcRequest<N extends ChatHistoryRpcName> = z.output<
  (typeof CHAT_HISTORY_RPC)[N]['request']
>;

/** What each pattern answers. */
export interface ChatHistoryRpcResponses {
  createConversation: ConversationView;
  getConversation: ConversationView;
  updateConversation: ConversationView;
  deleteConversation: ConversationDeleted;
  listConversations: ListPage<ConversationView>;
  exportConversation: ConversationExport;
  createItems: ListPage<ItemView>;
  listItems: ListPage<ItemView>;
  getItem: ItemView;
  deleteItem: ConversationView;
  loadContext: ConversationContext;
  storeResponse: StoredResponse;
  getResponse: StoredResponse;
  deleteResponse: ResponseDeleted;
  listResponseInputItems: ListPage<StoredInputItem>;
  storeSummary: SummaryView;
  purgeUser: UserHistoryPurged;
}
export type ChatHistoryRpcResponse<N extends ChatHistoryRpcName> = ChatHistoryRpcResponses[N];

export enum ChatHistoryErrorCode {
  InvalidRequest = 'invalid_request',
  NotFound = 'not_found',
  Conflict = 'conflict',
  /** An unexpected failure inside the chat-history service (logged there with `errorId`). */
  Internal = 'internal',
}

/** The payload of an RPC failure (thrown as RpcException by the chat-history app). */
export const ChatHistoryRpcErrorSchema = z.object({
  code: z.nativeEnum(ChatHistoryErrorCode),
  message: z.string(),
  /** The offending field (`items[0].role`, `system_prompt`, `id`, `after`), or null. */
  param: z.string().nullable().default(null),
  errorId: z.string().optional(),
});
export type ChatHistoryRpcError = z.infer<typeof ChatHistoryRpcErrorSchema>;
