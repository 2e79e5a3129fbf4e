import { z } from 'zod';
import { MAX_TOP_LOGPROBS, TokenLogprob } from '../queue/inference.jobs';
import { ChatFileSearchSchema } from './file-search.dto';
import { UNSUPPORTED_PARAMETER, asksForNothing, onlyValues, servedFields } from './served-fields';

/**
 * Extensions read by the router: how sensitive the request is (`confidential`: local models only, never a remote
 * provider) and a complexity hint that puts a route's targets tagged with it first.
 */
export const ROUTING_EXTENSIONS = {
  sensitivity: z.enum(['public', 'internal', 'confidential']).optional(),
  complexity: z.enum(['low', 'high']).optional(),
};

const TextPart = z.object({ type: z.literal('text'), text: z.string() });

const MessageContent = z.union([z.string(), z.array(TextPart).min(1)]);

/**
 * A user message's `file` part (OpenAI's `{type: 'file', file: {file_data | file_id, filename}}`): the gateway
 * extracts the file's text and the model reads that (see the Responses `input_file` part).
 */
const FilePart = z.object({
  type: z.literal('file'),
  file: z.object({
    file_data: z.string().min(1).optional(),
    file_id: z.string().min(1).max(256).optional(),
    filename: z.string().min(1).max(256).optional(),
  }),
});
const UserContent = z.union([z.string(), z.array(z.discriminatedUnion('type', [TextPart, FilePart])).min(1)]);

/** Image and audio parts get a 400 saying the models cannot read them (every model served here reads text). */
function refuseMediaParts(messages: unknown, ctx: z.RefinementCtx): unknown {
  if (!Array.isArray(messages)) return messages;
  messages.forEach((m: unknown, i) => {
    const parts = (m as { content?: unknown } | null)?.content;
    if (!Array.isArray(parts)) return;
    parts.forEach((part: unknown, j) => {
      const type = (part as { type?: unknown } | null)?.type;
      if (type === 'image_url' || type === 'input_audio') {
        ctx.addIssue({
          code: 'custom',
          path: [i, 'content', j],
          message: `This model cannot read ${type === 'image_url' ? 'images' : 'audio'}: the models served here read text only.`,
          params: { code: 'unsupported_capability' },
        });
      }
    });
  });
  return messages;
}

/** OpenAI's function names: letters, digits, underscores and dashes, at most 64. */
export const FunctionNameSchema = z
  .string()
  .regex(/^[a-zA-Z0-9_-]{1,64}$/, 'function names are 1-64 letters, digits, underscores or dashes');

export const FunctionDefinitionSchema = z.object({
  name: FunctionNameSchema,
  description: z.string().optional(),
  /** A JSON schema for the arguments object; omitted: the function takes no arguments. */
  parameters: z.record(z.unknown()).optional(),
  /** Accepted either way: arguments are always decoded under the schema's grammar and validated. */
  strict: z.boolean().nullable().optional(),
});
export type FunctionDefinition = z.infer<typeof FunctionDefinitionSchema>;

const AssistantToolCallSchema = z.object({
  id: z.string().min(1),
  type: z.literal('function'),
  function: z.object({ name: z.string().min(1), arguments: z.string() }),
});

export const ChatCompletionMessageSchema = z.discriminatedUnion('role', [
  z.object({ role: z.literal('system'), content: MessageContent, name: z.string().optional() }),
  z.object({ role: z.literal('developer'), content: MessageContent, name: z.string().optional() }),
  z.object({ role: z.literal('user'), content: UserContent, name: z.string().optional() }),
  z.object({
    role: z.literal('assistant'),
    content: MessageContent.nullable().optional(),
    name: z.string().optional(),
    refusal: z.string().nullable().optional(),
    tool_calls: z.array(AssistantToolCallSchema).optional(),
    /** Legacy: the single call of the `functions` API. */
    function_call: z
      .object({ name: z.string().min(1), arguments: z.string() })
      .nullable()
      .optional(),
  }),
  z.object({ role: z.literal('tool'), content: MessageContent, tool_call_id: z.string().min(1) }),
  /** Legacy: the result of the assistant's preceding `function_call`. */
  z.object({ role: z.literal('function'), name: z.string().min(1), content: z.string().nullable() }),
]);
export type ChatCompletionMessage = z.infer<typeof ChatCompletionMessageSchema>;

export const StopSchema = z
  .union([z.string().min(1), z.array(z.string().min(1)).max(4)])
  .nullable()
  .optional();

/** Most alternatives per token the legacy Completions API returns (its `logprobs` maximum). */
export const MAX_COMPLETION_LOGPROBS = 5;

/**
 * OpenAI's `logit_bias`: token id (a decimal string, as in the model's tokenizer) → bias -100..100, added to the
 * logits before sampling. A bad key or value is a 400 naming `logit_bias`; an id outside the model's vocabulary is
 * found by the worker (also a 400 naming `logit_bias`).
 */
export const LogitBiasRequestSchema = z
  .record(z.string(), z.unknown())
  .superRefine((bias, ctx) => {
    for (const [key, value] of Object.entries(bias)) {
      if (!/^\d{1,10}$/.test(key)) {
        ctx.addIssue({ code: 'custom', message: `keys must be token ids (non-negative integers), got '${key}'` });
        return;
      }
      if (typeof value !== 'number' || !Number.isFinite(value) || value < -100 || value > 100) {
        ctx.addIssue({ code: 'custom', message: `the bias of token ${key} must be a number from -100 to 100` });
        return;
      }
    }
  })
  .transform((bias) => bias as Record<string, number>)
  .nullable()
  .optional();

/** Fields shared by `/v1/chat/completions` and `/v1/completions`, as OpenAI defines them. */
export const SamplingFields = {
  model: z.string().min(1),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().gt(0).max(1).nullable().optional(),
  stop: StopSchema,
  seed: z.number().int().nullable().optional(),
  frequency_penalty: z.number().min(-2).max(2).nullable().optional(),
  presence_penalty: z.number().min(-2).max(2).nullable().optional(),
  stream: z.boolean().nullable().optional(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).nullable().optional(),
  n: z
    .number()
    .int()
    .nullable()
    .optional()
    .refine((n) => n == null || n === 1, { message: 'only n=1 is supported' }),
  user: z.string().optional(),
  logit_bias: LogitBiasRequestSchema,
};

const NamedFunction = z.object({ type: z.literal('function'), function: z.object({ name: z.string().min(1) }) });

export const ChatToolChoiceSchema = z.union([
  z.enum(['none', 'auto', 'required']),
  NamedFunction,
  z.object({
    type: z.literal('allowed_tools'),
    allowed_tools: z.object({ mode: z.enum(['auto', 'required']), tools: z.array(NamedFunction).min(1) }),
  }),
]);
export type ChatToolChoice = z.infer<typeof ChatToolChoiceSchema>;

/** Chat Completions' `response_format`. */
export const ChatResponseFormatSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text') }),
  z.object({ type: z.literal('json_object') }),
  z.object({
    type: z.literal('json_schema'),
    json_schema: z.object({
      name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'names are 1-64 letters, digits, underscores or dashes'),
      description: z.string().optional(),
      schema: z.record(z.unknown()).optional(),
      strict: z.boolean().nullable().optional(),
    }),
  }),
]);
export type ChatResponseFormat = z.infer<typeof ChatResponseFormatSchema>;

/** Hints with no effect on the output, accepted as OpenAI accepts them. */
const accepted = () => true;

/** Chat Completions fields of OpenAI's standard that this server does not serve (yet), and what is still fine. */
const CHAT_UNSERVED: Record<string, (v: unknown) => boolean> = {
  audio: asksForNothing,
  modalities: onlyValues(['text']),
  prediction: asksForNothing,
  reasoning_effort: asksForNothing,
  verbosity: asksForNothing,
  web_search_options: asksForNothing,
  // Stored completions are not served; `store: false` asks for nothing, `metadata` only tags stored ones.
  store: asksForNothing,
  metadata: asksForNothing,
  service_tier: onlyValues('auto', 'default'),
  prompt_cache_key: accepted,
  safety_identifier: accepted,
};

const COMPLETION_UNSERVED: Record<string, (v: unknown) => boolean> = {};

export const ChatCompletionRequestSchema = servedFields(
  {
    ...SamplingFields,
    messages: z.preprocess(
      refuseMediaParts,
      z.array(ChatCompletionMessageSchema).min(1, 'messages must contain at least one message'),
    ),
    max_tokens: z.number().int().positive().nullable().optional(),
    max_completion_tokens: z.number().int().positive().nullable().optional(),
    /** Extension: return the exact rendered prompt and its sections; generate and store nothing. */
    dry_run: z.boolean().optional(),
    /** Extension: load this conversation's history into the prompt and append the exchange to it. */
    conversation_id: z.string().min(1).max(128).optional(),
    /**
     * Extension: search these vector stores with the last user message, put the results in the prompt as numbered
     * sources and return them as `sources` on the response.
     */
    file_search: ChatFileSearchSchema.optional(),
    logprobs: z.boolean().nullable().optional(),
    top_logprobs: z.number().int().min(0).max(MAX_TOP_LOGPROBS).nullable().optional(),
    tools: z
      .array(
        z.discriminatedUnion('type', [
          z.object({ type: z.literal('function'), function: FunctionDefinitionSchema }),
          z.object({ type: z.literal('custom') }).passthrough(),
        ]),
      )
      .nullable()
      .optional(),
    tool_choice: ChatToolChoiceSchema.nullable().optional(),
    parallel_tool_calls: z.boolean().nullable().optional(),
    /** Legacy form of `tools`. */
    functions: z.array(FunctionDefinitionSchema).nullable().optional(),
    function_call: z
      .union([z.enum(['none', 'auto']), z.object({ name: z.string().min(1) })])
      .nullable()
      .optional(),
    response_format: ChatResponseFormatSchema.nullable().optional(),
    /**
     * Extension: `server` runs the built-in and MCP functions the model calls and loops until it answers (the
     * answer carries the `tool_trace`); `client` (the default) returns the calls, as OpenAI does.
     */
    tool_execution: z.enum(['client', 'server']).optional(),
    ...ROUTING_EXTENSIONS,
  },
  CHAT_UNSERVED,
).superRefine((r, ctx) => {
  // OpenAI refuses alternatives without the logprobs they belong to.
  if (r.top_logprobs && r.logprobs !== true) {
    ctx.addIssue({
      code: 'custom',
      path: ['top_logprobs'],
      message: "'logprobs' must be set to true when 'top_logprobs' is used",
    });
  }
});
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequestSchema>;

export const CompletionRequestSchema = servedFields(
  {
    ...SamplingFields,
    prompt: z.union([z.string(), z.array(z.string()).length(1, 'only a single prompt is supported')]),
    max_tokens: z.number().int().positive().nullable().optional(),
    echo: z.boolean().nullable().optional(),
    suffix: z.null().optional(),
    best_of: z
      .number()
      .int()
      .nullable()
      .optional()
      .refine((n) => n == null || n === 1, { message: 'only best_of=1 is supported' }),
    logprobs: z.number().int().min(0).max(MAX_COMPLETION_LOGPROBS).nullable().optional(),
  },
  COMPLETION_UNSERVED,
).superRefine((r, ctx) => {
  // With echo, OpenAI scores the prompt's tokens too; the worker only scores the tokens it samples.
  if (r.echo && r.logprobs != null) {
    ctx.addIssue({
      code: 'custom',
      path: ['logprobs'],
      message:
        "'logprobs' together with 'echo: true' is not supported by this server: it cannot score the prompt's tokens. " +
        'Send echo: false (the logprobs then cover the completion) or leave out logprobs.',
      params: { code: UNSUPPORTED_PARAMETER },
    });
  }
});
export type CompletionRequest = z.infer<typeof CompletionRequestSchema>;

export interface OpenAiUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export type OpenAiFinishReason = 'stop' | 'length' | 'tool_calls' | 'function_call';

/** A call in a response message (`message.tool_calls[]`). */
export interface OpenAiToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** A fragment of a call in a stream (`delta.tool_calls[]`): id, type and name only on an index's first. */
export interface OpenAiToolCallDelta {
  index: number;
  id?: string;
  type?: 'function';
  function: { name?: string; arguments: string };
}

/** Chat Completions' `choices[].logprobs` (the worker's entries are already OpenAI's token logprob shape). */
export interface ChatCompletionLogprobs {
  content: TokenLogprob[] | null;
  refusal: TokenLogprob[] | null;
}

/** The legacy Completions `choices[].logprobs`: parallel arrays, one element per generated token. */
export interface CompletionLogprobs {
  tokens: string[];
  token_logprobs: number[];
  /** Per token: its most likely alternatives (and the chosen token), token text → logprob. */
  top_logprobs: Record<string, number>[];
  /** Per token: its offset in the choice's `text`, in characters (Unicode code points). */
  text_offset: number[];
}

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  system_fingerprint: string;
  choices: {
    index: number;
    message: {
      role: 'assistant';
      content: string | null;
      refusal: null;
      tool_calls?: OpenAiToolCall[];
      function_call?: { name: string; arguments: string };
    };
    logprobs: ChatCompletionLogprobs | null;
    finish_reason: OpenAiFinishReason;
  }[];
  usage: OpenAiUsage;
}

export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  system_fingerprint: string;
  choices: {
    index: number;
    delta: {
      role?: 'assistant';
      content?: string | null;
      tool_calls?: OpenAiToolCallDelta[];
      function_call?: { name?: string; arguments: string };
    };
    logprobs: ChatCompletionLogprobs | null;
    finish_reason: OpenAiFinishReason | null;
  }[];
  usage?: OpenAiUsage | null;
}

export interface TextCompletion {
  id: string;
  object: 'text_completion';
  created: number;
  model: string;
  system_fingerprint: string;
  choices: {
    index: number;
    text: string;
    logprobs: CompletionLogprobs | null;
    finish_reason: OpenAiFinishReason | null;
  }[];
  usage?: OpenAiUsage | null;
}

export interface ModelObject {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
  /**
   * Extension: what the model serves (`chat`, `completion`, `embeddings`); a route, what all its targets serve. Lets
   * a client offer only the models that fit a route (the web console's chat picker).
   */
  capabilities: string[];
}
