import { z } from 'zod';
import { asksForNothing, onlyValues, servedFields } from './served-fields';

const TextPart = z.object({ type: z.literal('text'), text: z.string() });

const MessageContent = z.union([z.string(), z.array(TextPart).min(1)]);

export const ChatCompletionMessageSchema = z.discriminatedUnion('role', [
  z.object({ role: z.literal('system'), content: MessageContent, name: z.string().optional() }),
  z.object({ role: z.literal('developer'), content: MessageContent, name: z.string().optional() }),
  z.object({ role: z.literal('user'), content: MessageContent, name: z.string().optional() }),
  z.object({
    role: z.literal('assistant'),
    content: MessageContent.nullable().optional(),
    name: z.string().optional(),
  }),
]);
export type ChatCompletionMessage = z.infer<typeof ChatCompletionMessageSchema>;

export const StopSchema = z
  .union([z.string().min(1), z.array(z.string().min(1)).max(4)])
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
};

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
  response_format: onlyValues({ type: 'text' }),
  tools: asksForNothing,
  tool_choice: onlyValues('none', 'auto'),
  functions: asksForNothing,
  function_call: onlyValues('none', 'auto'),
  // Without tools there is nothing to call in parallel: any value means the same.
  parallel_tool_calls: accepted,
  logprobs: asksForNothing,
  top_logprobs: onlyValues(0),
  logit_bias: asksForNothing,
  // Stored completions are not served; `store: false` asks for nothing, `metadata` only tags stored ones.
  store: asksForNothing,
  metadata: asksForNothing,
  service_tier: onlyValues('auto', 'default'),
  prompt_cache_key: accepted,
  safety_identifier: accepted,
};

const COMPLETION_UNSERVED: Record<string, (v: unknown) => boolean> = {
  logprobs: onlyValues(0),
  logit_bias: asksForNothing,
};

export const ChatCompletionRequestSchema = servedFields(
  {
    ...SamplingFields,
    messages: z.array(ChatCompletionMessageSchema).min(1, 'messages must contain at least one message'),
    max_tokens: z.number().int().positive().nullable().optional(),
    max_completion_tokens: z.number().int().positive().nullable().optional(),
    /** Extension: return the exact rendered prompt and its sections; generate and store nothing. */
    dry_run: z.boolean().optional(),
    /** Extension: load this conversation's history into the prompt and append the exchange to it. */
    conversation_id: z.string().min(1).max(128).optional(),
  },
  CHAT_UNSERVED,
);
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
  },
  COMPLETION_UNSERVED,
);
export type CompletionRequest = z.infer<typeof CompletionRequestSchema>;

export interface OpenAiUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export type OpenAiFinishReason = 'stop' | 'length';

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  system_fingerprint: string;
  choices: {
    index: number;
    message: { role: 'assistant'; content: string; refusal: null };
    logprobs: null;
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
    delta: { role?: 'assistant'; content?: string };
    logprobs: null;
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
  choices: { index: number; text: string; logprobs: null; finish_reason: OpenAiFinishReason | null }[];
  usage?: OpenAiUsage | null;
}

export interface ModelObject {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
}
