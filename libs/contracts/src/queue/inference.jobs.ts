import { z } from 'zod';

/** Most alternatives a job may ask for per generated token (OpenAI Chat Completions' `top_logprobs` maximum). */
export const MAX_TOP_LOGPROBS = 20;

/**
 * Added to the model's logits before sampling, by token id (decimal string, as OpenAI's `logit_bias` keys).
 * -100 bans the token, +100 all but forces it; the worker rejects ids outside the model's vocabulary.
 */
export const LogitBiasSchema = z.record(z.string().regex(/^\d+$/), z.number().min(-100).max(100));
export type LogitBias = z.infer<typeof LogitBiasSchema>;

/** Ask for the log probability of each generated token and of the `top` most likely tokens at its position. */
export const LogprobsRequestSchema = z.object({ top: z.number().int().min(0).max(MAX_TOP_LOGPROBS) });
export type LogprobsRequest = z.infer<typeof LogprobsRequestSchema>;

/** A token and its log probability (natural log), OpenAI's `TopLogprob` shape. */
export const TopLogprobSchema = z.object({
  token: z.string(),
  logprob: z.number().max(0),
  /** UTF-8 bytes of the token; null when they are not known (a lone byte-fallback piece of another vocabulary). */
  bytes: z.array(z.number().int().min(0).max(255)).nullable(),
});
export type TopLogprob = z.infer<typeof TopLogprobSchema>;

/**
 * One generated token, OpenAI's `ChatCompletionTokenLogprob` shape (the gateway passes it through). The `token`
 * texts of a job's entries concatenate to its generated text: a token that only starts a multi-byte character has
 * `token: ''` (its `bytes` still hold its bytes) and the token that completes it carries the character.
 * `top_logprobs` lists the most likely tokens at that position, most likely first (fewer when fewer have a
 * non-zero probability).
 */
export const TokenLogprobSchema = TopLogprobSchema.extend({ top_logprobs: z.array(TopLogprobSchema) });
export type TokenLogprob = z.infer<typeof TokenLogprobSchema>;

/** Sampling and stopping parameters shared by chat and text completion jobs. */
export const SamplingParamsSchema = z.object({
  /** Omitted: fill the context up to the model's default_max_tokens. */
  maxTokens: z.number().int().positive().optional(),
  temperature: z.number().min(0).max(2).optional(),
  topP: z.number().gt(0).max(1).optional(),
  seed: z.number().int().optional(),
  stop: z.array(z.string().min(1)).max(4).default([]),
  frequencyPenalty: z.number().min(-2).max(2).optional(),
  presencePenalty: z.number().min(-2).max(2).optional(),
  logitBias: LogitBiasSchema.optional(),
  /** Absent or null: no logprobs. Chat `logprobs: true` + `top_logprobs: N` → `{top: N}`; Completions `logprobs: N`. */
  logprobs: LogprobsRequestSchema.nullable().optional(),
});
export type SamplingParams = z.infer<typeof SamplingParamsSchema>;

/** Where the worker streams events for a job: a Redis pub/sub channel owned by one gateway replica. */
export const ReplyToSchema = z.object({
  channel: z.string().min(1),
});

/**
 * Where a message of a stateful prompt comes from. The worker fits the prompt to the context with the model's own
 * tokenizer: `turn`s go first (oldest first), then `retrieval` (passages retrieved from vector stores, one message
 * each, lowest score first), then `memory` (lowest score first), then `summary`; `system` and `input` are never
 * dropped.
 */
export const PromptSectionSchema = z.enum(['system', 'summary', 'memory', 'retrieval', 'turn', 'input']);
export type PromptSection = z.infer<typeof PromptSectionSchema>;

/** A function call the model made: `arguments` is JSON text matching the tool's parameters. */
export const ToolCallSchema = z.object({
  id: z.string().min(1),
  name: z.string().min(1),
  arguments: z.string(),
});
export type ToolCall = z.infer<typeof ToolCallSchema>;

export const ChatMessageSchema = z.object({
  role: z.enum(['system', 'user', 'assistant', 'tool']),
  content: z.string(),
  /** Assistant messages: the calls it made (each answered by a later `tool` message with its id). */
  toolCalls: z.array(ToolCallSchema).optional(),
  /** Tool messages: the call this is the result of. */
  toolCallId: z.string().optional(),
  /** Absent: `input` (a stateless request). */
  section: PromptSectionSchema.optional(),
  /** Id of the stored item, summary or memory this message comes from (reported back in the context). */
  ref: z.string().optional(),
  /** Recall score of a memory, relevance score of a retrieved passage. */
  score: z.number().optional(),
});
export type ChatMessage = z.infer<typeof ChatMessageSchema>;

const JobEnvelope = {
  /** Id of the HTTP request that created the job; carried into the worker's logs. */
  requestId: z.string().min(1),
  model: z.string().min(1),
  /** Whether the client receives tokens as they come (worker publishes deltas) or only the final result. */
  stream: z.boolean(),
  /** Absent for jobs whose producer waits on BullMQ's completion instead (no stream events are published). */
  replyTo: ReplyToSchema.optional(),
  sampling: SamplingParamsSchema,
};

/**
 * A function the model may call. `parameters` is a JSON schema the gateway has checked: valid, and expressible as
 * a grammar (`toGrammarSchema`), so the worker constrains the arguments to it.
 */
export const ToolDefinitionSchema = z.object({
  name: z.string().min(1),
  description: z.string().optional(),
  parameters: z.record(z.unknown()).optional(),
});
export type ToolDefinition = z.infer<typeof ToolDefinitionSchema>;

/** A reply constrained to JSON: any object, or one matching a (checked, grammar-expressible) JSON schema. */
export const ResponseFormatSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('json_object') }),
  z.object({ type: z.literal('json_schema'), schema: z.record(z.unknown()) }),
]);
export type ResponseFormat = z.infer<typeof ResponseFormatSchema>;

export const ChatCompleteV1PayloadSchema = z.object({
  ...JobEnvelope,
  messages: z.array(ChatMessageSchema).min(1),
  /** Functions the model may call (the gateway already applied `tool_choice`'s allowed subset). */
  tools: z.array(ToolDefinitionSchema).optional(),
  /** `auto`: the model chooses between text and calls; `required`: it must call one of `tools`. */
  toolChoice: z.enum(['auto', 'required']).default('auto'),
  /** Whether one reply may hold several calls. */
  parallelToolCalls: z.boolean().default(true),
  responseFormat: ResponseFormatSchema.optional(),
  /** Render and fit the prompt, report it in the `start` event, generate nothing. */
  dryRun: z.boolean().default(false),
  /** Per-section token budgets applied before fitting to the context window. */
  sectionBudgets: z.record(PromptSectionSchema, z.number().int().positive()).optional(),
});
export type ChatCompleteV1Payload = z.infer<typeof ChatCompleteV1PayloadSchema>;

export const TextCompleteV1PayloadSchema = z.object({
  ...JobEnvelope,
  prompt: z.string(),
  echo: z.boolean().default(false),
});
export type TextCompleteV1Payload = z.infer<typeof TextCompleteV1PayloadSchema>;

export const FinishReasonSchema = z.enum(['stop', 'length', 'cancelled', 'tool_calls']);
export type FinishReason = z.infer<typeof FinishReasonSchema>;

export const UsageSchema = z.object({
  promptTokens: z.number().int().nonnegative(),
  completionTokens: z.number().int().nonnegative(),
});
export type Usage = z.infer<typeof UsageSchema>;

export const GenerationResultSchema = z.object({
  text: z.string(),
  finishReason: FinishReasonSchema,
  usage: UsageSchema,
  /** When the job asked for logprobs: one entry per generated token (an echoed prompt has none). */
  logprobs: z.array(TokenLogprobSchema).optional(),
  /** The calls the model made (finish reason `tool_calls`), arguments validated against their schemas. */
  toolCalls: z.array(ToolCallSchema).optional(),
  /** The stop sequence that ended the text (finish reason `stop`; left out of `text`), when one did. */
  stopSequence: z.string().optional(),
});
export type GenerationResult = z.infer<typeof GenerationResultSchema>;

/** What a fitted prompt holds: tokens per section and the ids kept, reported to the client as `context`. */
export const PromptContextSchema = z.object({
  tokens: z.record(z.string(), z.number().int().nonnegative()),
  summaryId: z.string().nullable(),
  memories: z.array(z.object({ id: z.string(), score: z.number().nullable() })),
  verbatimIds: z.array(z.string()),
  droppedIds: z.array(z.string()),
});
export type PromptContext = z.infer<typeof PromptContextSchema>;

/**
 * Dry runs: one message of the fitted prompt, in prompt order, with its section and its tokens as the fitter counts
 * them (the content plus the template's per-message overhead).
 */
export const PromptPartSchema = z.object({
  section: PromptSectionSchema,
  role: z.string(),
  content: z.string(),
  tokens: z.number().int().nonnegative(),
});
export type PromptPart = z.infer<typeof PromptPartSchema>;

/** What a dry run shows: the exact prompt after the chat template, and (chat jobs) the fitted messages. */
export interface DryRunPrompt {
  prompt: string;
  parts?: PromptPart[];
}
