import { z } from 'zod';
import { EmbeddingGroupErrorSchema } from './embedding.jobs';
import {
  FinishReasonSchema,
  PromptContextSchema,
  PromptPartSchema,
  TokenLogprobSchema,
  ToolCallSchema,
  UsageSchema,
} from './inference.jobs';

/**
 * Events a worker publishes for one job on the job's reply channel, in order:
 * `start` (once per attempt) → `delta`* (stream jobs only) → `end` | `error`; embedding jobs: `embeddings` | `error`.
 * Every message carries the job id so one gateway subscription can serve all of its in-flight jobs. Inference
 * events after `start` carry its `attempt` too (optional: older workers), so a gateway can drop the tail of an
 * attempt whose worker lost the job's lock but still runs.
 */
const attempt = z.number().int().nonnegative().optional();

export const StreamEventSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('start'),
    jobId: z.string(),
    attempt: z.number().int().nonnegative(),
    promptTokens: z.number().int().nonnegative(),
    /** Chat jobs: what the fitted prompt holds. */
    context: PromptContextSchema.optional(),
    /** Dry runs: the exact prompt after the chat template … */
    prompt: z.string().optional(),
    /** … and, for chat jobs, its messages section by section. */
    parts: z.array(PromptPartSchema).optional(),
  }),
  z.object({
    type: z.literal('delta'),
    jobId: z.string(),
    attempt,
    text: z.string(),
    /**
     * When the job asked for logprobs: the entries of the tokens whose text makes up exactly this delta's `text`, in
     * order (a delta may carry several tokens, or none but a token of a partial character with `text: ''`). The
     * echoed prompt of a text completion comes as a delta without logprobs.
     */
    logprobs: z.array(TokenLogprobSchema).optional(),
  }),
  /**
   * Stream jobs: a fragment of the `index`th function call, OpenAI's `delta.tool_calls[]` entry. The first fragment
   * of an index carries `id` and `name`; the `arguments` of an index concatenate to its JSON arguments.
   */
  z.object({
    type: z.literal('tool_call'),
    jobId: z.string(),
    attempt,
    index: z.number().int().nonnegative(),
    id: z.string().optional(),
    name: z.string().optional(),
    arguments: z.string(),
  }),
  z.object({
    type: z.literal('end'),
    jobId: z.string(),
    attempt,
    text: z.string(),
    finishReason: FinishReasonSchema,
    usage: UsageSchema,
    /** Non-stream jobs that asked for logprobs: every generated token's entry (stream jobs had them in deltas). */
    logprobs: z.array(TokenLogprobSchema).optional(),
    toolCalls: z.array(ToolCallSchema).optional(),
    /** The stop sequence that ended the text, when one did. */
    stopSequence: z.string().optional(),
  }),
  z.object({
    type: z.literal('error'),
    jobId: z.string(),
    attempt,
    code: z.string(),
    message: z.string(),
    /** Whether the job will be retried (the gateway then waits for the next attempt's `start`). */
    retrying: z.boolean(),
    param: z.string().nullable().optional(),
  }),
  /** The whole result of an `embed.texts.v1` job (embedding jobs publish only this or `error`). */
  z.object({
    type: z.literal('embeddings'),
    jobId: z.string(),
    attempt,
    /** base64 of little-endian float32, row-major, `count` × `dims` (see `decodeVectors`). */
    vectors: z.string(),
    dims: z.number().int().positive(),
    count: z.number().int().nonnegative(),
    promptTokens: z.number().int().nonnegative(),
    /** Tokens per input and the groups not embedded, as in `EmbedTextsV1Result` (optional for older workers). */
    tokens: z.array(z.number().int().nonnegative()).optional(),
    errors: z.array(EmbeddingGroupErrorSchema).optional(),
  }),
]);
export type StreamEvent = z.infer<typeof StreamEventSchema>;

/** Channel a worker watches for cancellations; the message is the job id. */
export const CANCEL_CHANNEL_SUFFIX = 'cancel';
/** Key set when a job is cancelled before a worker picked it up (checked on start). */
export function cancelKey(prefix: string, jobId: string): string {
  return `${prefix}:cancelled:${jobId}`;
}
export function cancelChannel(prefix: string): string {
  return `${prefix}:${CANCEL_CHANNEL_SUFFIX}`;
}
export function replyChannel(prefix: string, instanceId: string): string {
  return `${prefix}:reply:${instanceId}`;
}
