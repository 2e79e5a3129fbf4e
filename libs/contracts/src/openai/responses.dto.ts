import { z } from 'zod';
import {
  ContentPartInputSchema,
  FunctionCallInputSchema,
  FunctionCallOutputInputSchema,
  MAX_ITEM_TEXT_CHARS,
  MessageInputSchema,
  MetadataSchema,
  asEasyMessage,
} from '../chat-history/conversations.schemas';
import { MAX_TOP_LOGPROBS, type SamplingParams } from '../queue/inference.jobs';
import { FileSearchToolSchema, INCLUDE_FILE_SEARCH_RESULTS } from './file-search.dto';
import { FunctionNameSchema, ROUTING_EXTENSIONS } from './chat-completions.dto';
import { UNSUPPORTED_PARAMETER, asksForNothing, onlyValues, servedFields } from './served-fields';

export * from './file-search.dto';

/**
 * An `input_file` part: a file given inline (`file_data`, a data URL or bare base64, with `filename`) or by the id
 * of an uploaded file. The gateway extracts its text (PDF, docx, HTML, CSV, JSON, text) and gives the model that;
 * `file_url` is refused (the server fetches no URLs for clients). Exactly one source is checked by the gateway.
 */
export const InputFilePartSchema = z.object({
  type: z.literal('input_file'),
  file_id: z.string().min(1).max(256).nullable().optional(),
  file_data: z.string().min(1).nullable().optional(),
  file_url: z.string().min(1).nullable().optional(),
  filename: z.string().min(1).max(256).nullable().optional(),
});
export type InputFilePart = z.infer<typeof InputFilePartSchema>;

/** A Responses input message: the stored item's parts, and `input_file` parts (replaced by their text). */
const ResponsesMessageInputSchema = MessageInputSchema.extend({
  content: z.union([
    z.string().max(MAX_ITEM_TEXT_CHARS),
    z
      .array(z.discriminatedUnion('type', [...ContentPartInputSchema.options, InputFilePartSchema]))
      .min(1)
      .max(64),
  ]),
});

export const ResponsesInputItemSchema = z.preprocess(
  asEasyMessage,
  z.discriminatedUnion('type', [ResponsesMessageInputSchema, FunctionCallInputSchema, FunctionCallOutputInputSchema]),
);
export type ResponsesInputItem = z.infer<typeof ResponsesInputItemSchema>;

const TextFormatSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text') }),
  z.object({ type: z.literal('json_object') }),
  z.object({
    type: z.literal('json_schema'),
    name: z.string().min(1).max(64),
    schema: z.record(z.unknown()),
    description: z.string().optional(),
    strict: z.boolean().nullable().optional(),
  }),
]);

/** The `include` value that asks for the output text's token logprobs. */
export const INCLUDE_OUTPUT_LOGPROBS = 'message.output_text.logprobs';

const SERVED_INCLUDES = [INCLUDE_OUTPUT_LOGPROBS, INCLUDE_FILE_SEARCH_RESULTS];

/** `include`: OpenAI lists more values (encrypted reasoning, other tools' outputs…); these two are served. */
const IncludeSchema = z
  .array(z.string())
  .superRefine((values, ctx) => {
    const unserved = values.find((v) => !SERVED_INCLUDES.includes(v));
    if (unserved !== undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `'include' value '${unserved}' is not supported by this server (only ${SERVED_INCLUDES.map((v) => `'${v}'`).join(', ')}).`,
        params: { code: UNSUPPORTED_PARAMETER },
      });
    }
  })
  .nullable()
  .optional();

/** OpenAI's Responses `FunctionTool` (flat: name and parameters beside `type`). */
export const ResponsesFunctionToolSchema = z.object({
  type: z.literal('function'),
  name: FunctionNameSchema,
  description: z.string().nullable().optional(),
  parameters: z.record(z.unknown()).nullable().optional(),
  strict: z.boolean().nullable().optional(),
});
export type ResponsesFunctionTool = z.infer<typeof ResponsesFunctionToolSchema>;

/**
 * `tools`: function tools (called by the model, under a grammar) and at most one `file_search` tool (run by the
 * platform before generation, see the Responses service); the other hosted tools are refused.
 */
const ToolsSchema = z
  .array(z.object({ type: z.string() }).passthrough())
  .superRefine((tools, ctx) => {
    tools.forEach((tool, i) => {
      if (tool.type !== 'file_search' && tool.type !== 'function') {
        ctx.addIssue({
          code: 'custom',
          path: [i, 'type'],
          message: `tools[${i}]: tools of type '${tool.type}' are not supported by this server (only 'function' and 'file_search').`,
          params: { code: UNSUPPORTED_PARAMETER },
        });
      }
    });
  })
  .pipe(
    z
      .array(z.discriminatedUnion('type', [ResponsesFunctionToolSchema, FileSearchToolSchema]))
      .refine((tools) => tools.filter((t) => t.type === 'file_search').length <= 1, 'at most one file_search tool'),
  )
  .nullable()
  .optional();

const NamedTool = z.discriminatedUnion('type', [
  z.object({ type: z.literal('function'), name: z.string().min(1) }),
  z.object({ type: z.literal('file_search') }),
]);

/** `none`, `auto`, `required`, a tool by name, or an allowed subset with a mode. */
export const ResponsesToolChoiceSchema = z
  .union([
    z.enum(['none', 'auto', 'required']),
    NamedTool,
    z.object({
      type: z.literal('allowed_tools'),
      mode: z.enum(['auto', 'required']),
      tools: z.array(NamedTool).min(1),
    }),
  ])
  .nullable()
  .optional();
export type ResponsesToolChoice = z.infer<typeof ResponsesToolChoiceSchema>;

/**
 * Images get a 400 saying the model cannot read them (rather than "invalid input"): they need a vision model, and
 * every model this deployment serves reads text only.
 */
function refuseImageParts(input: unknown, ctx: z.RefinementCtx): unknown {
  if (!Array.isArray(input)) return input;
  input.forEach((item: unknown, i) => {
    const parts = (item as { content?: unknown } | null)?.content;
    if (!Array.isArray(parts)) return;
    parts.forEach((part: unknown, j) => {
      if ((part as { type?: unknown } | null)?.type === 'input_image') {
        ctx.addIssue({
          code: 'custom',
          path: [i, 'content', j],
          message:
            'This model cannot read images: input_image needs a vision model, and the models served here read text only.',
          params: { code: 'unsupported_capability' },
        });
      }
    });
  });
  return input;
}

/** Responses fields of OpenAI's standard not served here (yet), and the values that are still fine. */
const RESPONSES_UNSERVED: Record<string, (v: unknown) => boolean> = {
  background: asksForNothing,
  prompt: asksForNothing,
  reasoning: asksForNothing,
  max_tool_calls: () => true,
  truncation: onlyValues('disabled'),
  service_tier: onlyValues('auto', 'default'),
  prompt_cache_key: () => true,
  safety_identifier: () => true,
  stream_options: () => true,
};

/** `POST /v1/responses` (OpenAI's Responses API) plus the `dry_run` extension. */
export const ResponsesRequestSchema = servedFields(
  {
    model: z.string().min(1),
    input: z.preprocess(refuseImageParts, z.union([z.string(), z.array(ResponsesInputItemSchema).min(1)])),
    instructions: z.string().max(100_000).nullable().optional(),
    conversation: z
      .union([z.string().min(1), z.object({ id: z.string().min(1) })])
      .nullable()
      .optional(),
    previous_response_id: z.string().min(1).nullable().optional(),
    store: z.boolean().nullable().optional(),
    stream: z.boolean().nullable().optional(),
    max_output_tokens: z.number().int().positive().nullable().optional(),
    temperature: z.number().min(0).max(2).nullable().optional(),
    top_p: z.number().gt(0).max(1).nullable().optional(),
    presence_penalty: z.number().min(-2).max(2).nullable().optional(),
    frequency_penalty: z.number().min(-2).max(2).nullable().optional(),
    parallel_tool_calls: z.boolean().nullable().optional(),
    text: z.object({ format: TextFormatSchema.optional() }).optional(),
    metadata: MetadataSchema.nullable().optional(),
    user: z.string().optional(),
    include: IncludeSchema,
    tools: ToolsSchema,
    tool_choice: ResponsesToolChoiceSchema,
    /** Alternatives per output token; logprobs are returned when this is > 0 or `include` asks for them. */
    top_logprobs: z.number().int().min(0).max(MAX_TOP_LOGPROBS).nullable().optional(),
    /** Extension: return the exact rendered prompt and its sections; generate and store nothing. */
    dry_run: z.boolean().optional(),
    ...ROUTING_EXTENSIONS,
  },
  RESPONSES_UNSERVED,
).superRefine((r, ctx) => {
  if (r.conversation && r.previous_response_id) {
    ctx.addIssue({
      code: 'custom',
      path: ['previous_response_id'],
      message: 'previous_response_id and conversation cannot be used together',
    });
  }
});
export type ResponsesRequest = z.infer<typeof ResponsesRequestSchema>;

/** The logprobs a Responses request asks for, as the job's sampling `logprobs`; undefined when none. */
export function responsesLogprobs(r: ResponsesRequest): { top: number } | undefined {
  const asked = (r.top_logprobs ?? 0) > 0 || (r.include ?? []).includes(INCLUDE_OUTPUT_LOGPROBS);
  return asked ? { top: r.top_logprobs ?? 0 } : undefined;
}

/** A Responses request's sampling parameters, as its job carries them (interactive and batch lines alike). */
export function responsesSampling(r: ResponsesRequest): SamplingParams {
  return {
    maxTokens: r.max_output_tokens ?? undefined,
    temperature: r.temperature ?? undefined,
    topP: r.top_p ?? undefined,
    stop: [],
    presencePenalty: r.presence_penalty ?? undefined,
    frequencyPenalty: r.frequency_penalty ?? undefined,
    logprobs: responsesLogprobs(r),
  };
}
