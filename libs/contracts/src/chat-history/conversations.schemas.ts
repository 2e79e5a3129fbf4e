import { z } from 'zod';

/**
 * Public shapes of OpenAI's Conversations API (and the platform's extensions), shared by the gateway (HTTP bodies,
 * rendering) and the chat-history service (RPC validation, views). Field names are the public snake_case ones.
 */

/** Longest text of one content part, function call arguments or function output. */
export const MAX_ITEM_TEXT_CHARS = 1_048_576;
/** Items accepted in one create call (conversation create or items create), as in OpenAI's API. */
export const MAX_ITEMS_PER_CREATE = 20;
/** A hard ceiling for the per-chat system prompt; the service enforces CHAT_SYSTEM_PROMPT_MAX_CHARS (≤ this). */
export const MAX_SYSTEM_PROMPT_CHARS = 100_000;
/** At most 10 years. */
export const MAX_TTL_SECONDS = 315_360_000;

export const ITEM_ID_PREFIX = { message: 'msg_', function_call: 'fc_', function_call_output: 'fco_' } as const;
export const CONVERSATION_ID_PREFIX = 'conv_';
export const RESPONSE_ID_PREFIX = 'resp_';
export const SUMMARY_ID_PREFIX = 'sum_';

/** OpenAI metadata: up to 16 pairs, keys ≤ 64 characters, values ≤ 512 characters. */
export const MetadataSchema = z
  .record(z.string().max(64, 'metadata keys must be at most 64 characters'), z.string().max(512))
  .refine((m) => Object.keys(m).length <= 16, { message: 'metadata may have at most 16 key-value pairs' });
export type Metadata = z.infer<typeof MetadataSchema>;

export const MessageRoleSchema = z.enum(['user', 'assistant', 'system', 'developer']);
export type MessageRole = z.infer<typeof MessageRoleSchema>;

const itemText = z.string().max(MAX_ITEM_TEXT_CHARS);

/** Content parts accepted on input; stored normalised by role (see MessageContentView). */
export const ContentPartInputSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('input_text'), text: itemText }),
  z.object({ type: z.literal('output_text'), text: itemText, annotations: z.array(z.unknown()).optional() }),
]);
export type ContentPartInput = z.infer<typeof ContentPartInputSchema>;

export const MessageInputSchema = z.object({
  type: z.literal('message'),
  role: MessageRoleSchema,
  /** A string or a list of text parts. */
  content: z.union([itemText, z.array(ContentPartInputSchema).min(1).max(64)]),
});

export const FunctionCallInputSchema = z.object({
  type: z.literal('function_call'),
  call_id: z.string().min(1).max(256),
  name: z.string().min(1).max(256),
  arguments: itemText,
});

export const FunctionCallOutputInputSchema = z.object({
  type: z.literal('function_call_output'),
  call_id: z.string().min(1).max(256),
  output: itemText,
});

/**
 * One item to append. `type` may be omitted on a message (`{role, content}`, OpenAI's EasyInputMessage). An unknown
 * type fails on `type`, an unknown role on `role` (`items[0].role`).
 */
export const ItemInputSchema = z.preprocess(
  asEasyMessage,
  z.discriminatedUnion('type', [MessageInputSchema, FunctionCallInputSchema, FunctionCallOutputInputSchema]),
);

/** `{role, content}` without `type` is a message (OpenAI's EasyInputMessage). */
export function asEasyMessage(v: unknown): unknown {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !('type' in v) && 'role' in v
    ? { ...v, type: 'message' }
    : v;
}
export type ItemInput = z.infer<typeof ItemInputSchema>;
export type ItemType = ItemInput['type'];

export const ItemInputListSchema = z.array(ItemInputSchema).min(1).max(MAX_ITEMS_PER_CREATE);

// ---- views (what the service answers; the gateway renders them as they are) ----

export type InputTextPart = { type: 'input_text'; text: string };
export type OutputTextPart = { type: 'output_text'; text: string; annotations: unknown[] };
export type ContentPartView = InputTextPart | OutputTextPart;

export interface MessageItemView {
  id: string;
  type: 'message';
  status: 'completed';
  role: MessageRole;
  /** user/system/developer: input_text parts; assistant: output_text parts with `annotations: []`. */
  content: ContentPartView[];
}
export interface FunctionCallItemView {
  id: string;
  type: 'function_call';
  status: 'completed';
  call_id: string;
  name: string;
  arguments: string;
}
export interface FunctionCallOutputItemView {
  id: string;
  type: 'function_call_output';
  status: 'completed';
  call_id: string;
  output: string;
}
export type ItemView = MessageItemView | FunctionCallItemView | FunctionCallOutputItemView;
/** An item with its position in the conversation (context load): `seq` increases strictly with every append. */
export type SequencedItemView = ItemView & { seq: number };

const ContentPartViewSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('input_text'), text: z.string() }),
  z.object({ type: z.literal('output_text'), text: z.string(), annotations: z.array(z.unknown()) }),
]);
/** Validates an ItemView (e.g. in tests or when a caller re-reads stored items). */
export const ItemViewSchema = z.discriminatedUnion('type', [
  z.object({
    id: z.string(),
    type: z.literal('message'),
    status: z.literal('completed'),
    role: MessageRoleSchema,
    content: z.array(ContentPartViewSchema),
  }),
  z.object({
    id: z.string(),
    type: z.literal('function_call'),
    status: z.literal('completed'),
    call_id: z.string(),
    name: z.string(),
    arguments: z.string(),
  }),
  z.object({
    id: z.string(),
    type: z.literal('function_call_output'),
    status: z.literal('completed'),
    call_id: z.string(),
    output: z.string(),
  }),
]);

export interface ConversationView {
  id: string;
  object: 'conversation';
  /** Unix seconds. */
  created_at: number;
  metadata: Metadata;
  // Platform extensions (standard clients ignore them):
  title: string | null;
  system_prompt: string | null;
  ttl_seconds: number | null;
  /** Unix seconds; after it the conversation answers not_found and is purged. */
  expires_at: number | null;
}

export interface ConversationDeleted {
  id: string;
  object: 'conversation.deleted';
  deleted: true;
}

// ---- HTTP bodies (public snake_case shapes; the gateway parses them, the RPC requests extend them) ----

const ConversationSettings = {
  metadata: MetadataSchema.nullable().optional(),
  title: z.string().max(512).nullable().optional(),
  /** The per-chat system prompt (the service also checks CHAT_SYSTEM_PROMPT_MAX_CHARS). */
  system_prompt: z.string().max(MAX_SYSTEM_PROMPT_CHARS).nullable().optional(),
  /** Lifetime from now; null (on update) removes the expiry. */
  ttl_seconds: z.number().int().positive().max(MAX_TTL_SECONDS).nullable().optional(),
};

/** `POST /v1/conversations`. */
export const CreateConversationBodySchema = z.object({
  items: z.array(ItemInputSchema).max(MAX_ITEMS_PER_CREATE).optional(),
  ...ConversationSettings,
});
export type CreateConversationBody = z.infer<typeof CreateConversationBodySchema>;

/** `POST /v1/conversations/{id}`: fields present are replaced (metadata as a whole); ttl_seconds restarts at now. */
export const UpdateConversationBodySchema = z.object(ConversationSettings);
export type UpdateConversationBody = z.infer<typeof UpdateConversationBodySchema>;

/** `POST /v1/conversations/{id}/items`. */
export const CreateItemsBodySchema = z.object({ items: ItemInputListSchema });
export type CreateItemsBody = z.infer<typeof CreateItemsBodySchema>;

/**
 * List query (`limit`, `after`, `order`), coercing query-string numbers. Items default to `desc` as in OpenAI;
 * conversations are listed newest first by default too. `after` is an id of the same list; an unknown one is
 * not_found (param `after`).
 */
export const HistoryListQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  after: z.string().min(1).optional(),
  order: z.enum(['asc', 'desc']).default('desc'),
});
export type HistoryListQuery = z.infer<typeof HistoryListQuerySchema>;

// ---- export, context, summaries, responses ----

export const ExportFormatSchema = z.enum(['json', 'markdown']);
export type ExportFormat = z.infer<typeof ExportFormatSchema>;

export interface ConversationExport {
  /** `application/json` or `text/markdown; charset=utf-8`. */
  content_type: string;
  /** A suggested file name (`conv_….json` / `conv_….md`). */
  filename: string;
  /** json: `{conversation: ConversationView, items: ItemView[]}` (chronological), pretty-printed. */
  body: string;
}

export interface SummaryView {
  id: string;
  object: 'conversation.summary';
  conversation_id: string;
  text: string;
  /** The summary covers every item with seq ≤ through_seq. */
  through_seq: number;
  created_at: number;
}

/** A stored message recalled by meaning for the context's query. */
export interface ContextMemory {
  /** The item's id. */
  id: string;
  text: string;
  /** Cosine similarity between the query and the message. */
  score: number;
}

export interface ConversationContext {
  conversation: { id: string; system_prompt: string | null };
  /** The latest summary, or null. */
  summary: { id: string; text: string; through_seq: number } | null;
  /** Items after summary.through_seq, chronological, at most maxTurns of the newest. */
  turns: SequencedItemView[];
  /** Best first; empty without a query, with recall off, or when the embedding model did not answer in time. */
  memories: ContextMemory[];
}

/** A stored Responses API object, as the gateway rendered it (`id` is `resp_…`). */
export const StoredResponseObjectSchema = z
  .object({ id: z.string().regex(/^resp_[A-Za-z0-9_-]{1,200}$/, 'must be a response id (resp_…)') })
  .passthrough();
/** Input items of a response: ItemView-like objects, each with an `id` (the cursor of input_items lists). */
export const StoredInputItemSchema = z
  .object({ id: z.string().min(1).max(256), type: z.string().min(1) })
  .passthrough();
export type StoredInputItem = z.infer<typeof StoredInputItemSchema>;

export interface StoredResponse {
  response: Record<string, unknown> & { id: string };
  inputItems: StoredInputItem[];
  conversationId: string | null;
  previousResponseId: string | null;
}

export interface ResponseDeleted {
  id: string;
  object: 'response';
  deleted: true;
}

export interface UserHistoryPurged {
  userId: string;
  object: 'chat_history.user.purged';
  /** `memories`: vectors of the user's messages removed from the memory index. */
  deleted: { conversations: number; items: number; summaries: number; responses: number; memories: number };
}
