import { z } from 'zod';
import { ROUTING_EXTENSIONS } from '../openai/chat-completions.dto';
import { UNSUPPORTED_PARAMETER, asksForNothing, onlyValues, servedFields } from '../openai/served-fields';

/**
 * Anthropic's Messages API (`POST /v1/messages`, `POST /v1/messages/count_tokens`), field for field, as far as the
 * platform serves it. What the standard has and the platform does not serve is refused with a 400 naming it (images
 * with one that says the model cannot read them); fields the standard does not have are refused too; hints with no
 * effect on the output (`cache_control`, `metadata.user_id`) are accepted.
 */

/** The zod issue code of a content the model cannot read (rendered as `unsupported_capability`). */
const UNSUPPORTED_CAPABILITY = 'unsupported_capability';

const IMAGES_UNREADABLE =
  'This model cannot read images: image blocks need a vision model, and the models served here read text only.';

/** Accepted and without effect: prompt caching is not offered, so usage reports no cache tokens. */
const CacheControlSchema = z
  .object({ type: z.literal('ephemeral'), ttl: z.enum(['5m', '1h']).optional() })
  .nullable()
  .optional();

/** A field of a block that must ask for nothing (`citations: null`, `defer_loading: false`). */
const nothing = (what: string) =>
  z
    .unknown()
    .optional()
    .superRefine((v, ctx) => {
      if (asksForNothing(v)) return;
      ctx.addIssue({
        code: 'custom',
        message: `${what} is not supported by this server.`,
        params: { code: UNSUPPORTED_PARAMETER },
      });
    });

export const AnthropicTextBlockSchema = z.object({
  type: z.literal('text'),
  text: z.string(),
  cache_control: CacheControlSchema,
  citations: nothing("'citations'"),
});

const ToolUseBlockSchema = z.object({
  type: z.literal('tool_use'),
  id: z.string().min(1),
  name: z.string().min(1),
  input: z.record(z.unknown()),
  cache_control: CacheControlSchema,
});

/** Where each block type belongs, so a misplaced one is named as such. */
const BLOCK_HOME: Record<string, string> = {
  tool_use: 'assistant messages',
  tool_result: 'user messages',
};

/**
 * A content block of one of the `served` types, parsed by `schema`; any other type is refused before: an image as
 * unreadable, a block of another role as misplaced, the rest (documents, thinking, server tool blocks…) as not served.
 */
function contentBlock<S extends z.ZodTypeAny>(served: readonly string[], schema: S) {
  return z
    .object({ type: z.string() })
    .passthrough()
    .superRefine((block, ctx) => {
      if (served.includes(block.type)) return;
      if (block.type === 'image') {
        ctx.addIssue({ code: 'custom', message: IMAGES_UNREADABLE, params: { code: UNSUPPORTED_CAPABILITY } });
        return;
      }
      const home = BLOCK_HOME[block.type];
      ctx.addIssue(
        home
          ? { code: 'custom', message: `'${block.type}' blocks belong in ${home}.` }
          : {
              code: 'custom',
              message: `'${block.type}' content blocks are not supported by this server.`,
              params: { code: UNSUPPORTED_PARAMETER },
            },
      );
    })
    .pipe(schema);
}

const ToolResultBlockSchema = z.object({
  type: z.literal('tool_result'),
  tool_use_id: z.string().min(1),
  content: z.union([z.string(), z.array(contentBlock(['text'], AnthropicTextBlockSchema))]).optional(),
  is_error: z.boolean().optional(),
  cache_control: CacheControlSchema,
});

const UserBlockSchema = contentBlock(
  ['text', 'tool_result'],
  z.discriminatedUnion('type', [AnthropicTextBlockSchema, ToolResultBlockSchema]),
);
const AssistantBlockSchema = contentBlock(
  ['text', 'tool_use'],
  z.discriminatedUnion('type', [AnthropicTextBlockSchema, ToolUseBlockSchema]),
);

const TextContent = z.union([z.string(), z.array(contentBlock(['text'], AnthropicTextBlockSchema))]);

export const AnthropicMessageParamSchema = z.discriminatedUnion('role', [
  z.object({ role: z.literal('user'), content: z.union([z.string(), z.array(UserBlockSchema).min(1)]) }),
  z.object({ role: z.literal('assistant'), content: z.union([z.string(), z.array(AssistantBlockSchema)]) }),
  z.object({ role: z.literal('system'), content: TextContent }),
]);
export type AnthropicMessageParam = z.infer<typeof AnthropicMessageParamSchema>;
export type AnthropicUserBlock = z.infer<typeof UserBlockSchema>;
export type AnthropicAssistantBlock = z.infer<typeof AssistantBlockSchema>;

/** Anthropic's tool names: letters, digits, underscores and dashes. */
const ToolNameSchema = z
  .string()
  .regex(/^[a-zA-Z0-9_-]{1,128}$/, 'tool names are 1-128 letters, digits, underscores or dashes');

const CustomToolSchema = z.object({
  type: z.literal('custom').nullable().optional(),
  name: ToolNameSchema,
  description: z.string().optional(),
  /** A JSON schema for the tool's input object: checked, and the input is decoded under its grammar. */
  input_schema: z.object({ type: z.literal('object') }).passthrough(),
  cache_control: CacheControlSchema,
  /** Accepted either way: the input always matches the schema (grammar-constrained, then validated). */
  strict: z.boolean().optional(),
  /** Accepted: the input is streamed as it is generated in any case. */
  eager_input_streaming: z.boolean().nullable().optional(),
  input_examples: nothing("'input_examples'"),
  defer_loading: nothing("'defer_loading'"),
  allowed_callers: z
    .array(z.string())
    .optional()
    .superRefine((v, ctx) => {
      if (!v || v.every((c) => c === 'direct')) return;
      ctx.addIssue({
        code: 'custom',
        message: "'allowed_callers' other than 'direct' is not supported by this server.",
        params: { code: UNSUPPORTED_PARAMETER },
      });
    }),
});

/** A custom tool; Anthropic's server tools (`web_search_…`, `bash_…`, `text_editor_…`) are refused by name. */
export const AnthropicToolSchema = z
  .object({ type: z.string().nullable().optional() })
  .passthrough()
  .superRefine((tool, ctx) => {
    if (tool.type == null || tool.type === 'custom') return;
    ctx.addIssue({
      code: 'custom',
      message: `Server tools ('${tool.type}') are not supported by this server: only custom tools with an input_schema.`,
      params: { code: UNSUPPORTED_PARAMETER },
    });
  })
  .pipe(CustomToolSchema);
export type AnthropicTool = z.infer<typeof AnthropicToolSchema>;

const DisableParallel = { disable_parallel_tool_use: z.boolean().optional() };

export const AnthropicToolChoiceSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('auto'), ...DisableParallel }),
  z.object({ type: z.literal('any'), ...DisableParallel }),
  z.object({ type: z.literal('tool'), name: z.string().min(1), ...DisableParallel }),
  z.object({ type: z.literal('none') }),
]);
export type AnthropicToolChoice = z.infer<typeof AnthropicToolChoiceSchema>;

/** `output_config`: structured outputs (`format: {type: 'json_schema', schema}`); `effort` is not served. */
const OutputConfigSchema = z.object({
  format: z
    .object({ type: z.literal('json_schema'), schema: z.record(z.unknown()) })
    .nullable()
    .optional(),
  effort: nothing("'output_config.effort'"),
});

/** The prompt: what a request and its token count share. */
const PromptFields = {
  model: z.string().min(1),
  messages: z.array(AnthropicMessageParamSchema).min(1, 'messages must contain at least one message'),
  system: TextContent.optional(),
  tools: z.array(AnthropicToolSchema).optional(),
  tool_choice: AnthropicToolChoiceSchema.optional(),
  output_config: OutputConfigSchema.optional(),
  /** Extensions, as on Chat Completions: `sensitivity` and `complexity` for the router. */
  ...ROUTING_EXTENSIONS,
};

/** Hints with no effect on the output. */
const accepted = () => true;

/** Fields of the standard's prompt that are not served, and what is still fine. */
const PROMPT_UNSERVED: Record<string, (v: unknown) => boolean> = {
  thinking: onlyValues({ type: 'disabled' }),
  mcp_servers: asksForNothing,
  context_management: asksForNothing,
  speed: onlyValues('standard'),
  // Automatic prompt caching: a hint; nothing is cached, usage reports no cache tokens.
  cache_control: accepted,
  user_profile_id: asksForNothing,
  workspace_id: asksForNothing,
};

/** Most stop sequences a job takes. */
export const MAX_STOP_SEQUENCES = 4;

export const MessagesRequestSchema = servedFields(
  {
    ...PromptFields,
    /** Required, as Anthropic requires it. */
    max_tokens: z.number().int().min(1),
    stop_sequences: z
      .array(z.string().min(1))
      .max(MAX_STOP_SEQUENCES, `at most ${MAX_STOP_SEQUENCES} stop sequences are supported by this server`)
      .optional(),
    stream: z.boolean().optional(),
    temperature: z.number().min(0).max(1).optional(),
    top_p: z.number().gt(0).max(1).optional(),
    /** Accepted: identifies the end user to the operator; nothing in the output depends on it. */
    metadata: z.object({ user_id: z.string().max(256).nullable().optional() }).optional(),
  },
  {
    ...PROMPT_UNSERVED,
    // The sampler has no top-k.
    top_k: asksForNothing,
    service_tier: onlyValues('auto', 'standard_only'),
    container: asksForNothing,
    inference_geo: asksForNothing,
    diagnostics: accepted,
  },
);
export type MessagesRequest = z.infer<typeof MessagesRequestSchema>;

export const CountTokensRequestSchema = servedFields(PromptFields, PROMPT_UNSERVED);
export type CountTokensRequest = z.infer<typeof CountTokensRequestSchema>;

export type AnthropicStopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use';

export type AnthropicContentBlock =
  { type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; input: unknown };

export interface AnthropicUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

export interface AnthropicMessage {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: AnthropicContentBlock[];
  stop_reason: AnthropicStopReason | null;
  stop_sequence: string | null;
  usage: AnthropicUsage;
}

/** The typed SSE events of a streamed message; each goes out with its `event:` line. */
export type AnthropicStreamEvent =
  | { type: 'message_start'; message: AnthropicMessage }
  | { type: 'content_block_start'; index: number; content_block: AnthropicContentBlock }
  | {
      type: 'content_block_delta';
      index: number;
      delta: { type: 'text_delta'; text: string } | { type: 'input_json_delta'; partial_json: string };
    }
  | { type: 'content_block_stop'; index: number }
  | {
      type: 'message_delta';
      delta: { stop_reason: AnthropicStopReason; stop_sequence: string | null };
      usage: AnthropicUsage;
    }
  | { type: 'message_stop' }
  | AnthropicErrorBody;

export interface MessageTokensCount {
  input_tokens: number;
}

export type AnthropicErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'billing_error'
  | 'permission_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'api_error'
  | 'timeout_error'
  | 'overloaded_error';

/** Anthropic's error body, also the `error` event of a stream that fails. */
export interface AnthropicErrorBody {
  type: 'error';
  error: { type: AnthropicErrorType; message: string };
  request_id?: string;
}
