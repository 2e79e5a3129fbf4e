import { z } from 'zod';
import { ReplyToSchema } from './inference.jobs';

/** Most inputs one embedding job (and one `POST /v1/embeddings`) may carry, as OpenAI allows. */
export const EMBEDDING_MAX_INPUTS = 2048;

/** One input: a text, or token ids of the model's own vocabulary (embedded as given, no special tokens added). */
export const EmbeddingJobInputSchema = z.union([z.string(), z.array(z.number().int().nonnegative())]);
export type EmbeddingJobInput = z.infer<typeof EmbeddingJobInputSchema>;

export const EmbedTextsV1PayloadSchema = z.object({
  /** Id of the HTTP request (or internal operation) that created the job; carried into the worker's logs. */
  requestId: z.string().min(1),
  model: z.string().min(1),
  /**
   * Texts or token-id arrays, embedded in this order. An empty one (or one made only of unknown tokens) gets a zero
   * vector; the public API rejects empty inputs before they get here.
   */
  inputs: z.array(EmbeddingJobInputSchema).min(1).max(EMBEDDING_MAX_INPUTS),
  /** Truncate each vector to this many dimensions (and renormalise); only for models declared `matryoshka`. */
  dimensions: z.number().int().positive().optional(),
  /**
   * The inputs are several requests' inputs one after another (the gateway's micro-batcher merges concurrent
   * requests into one job): each group, of this many inputs in order, is validated on its own, exactly as a job of
   * its inputs alone would be (`input[i]` counts from the group's first input). A group with an invalid input is
   * reported in the result's `errors` and gets zero vectors; the other groups are embedded and the job completes.
   * Absent: one group, and an invalid input fails the whole job (UnrecoverableError), as before. Workers must be
   * upgraded before gateways: an older worker ignores `groups` and fails the whole job on any invalid input.
   */
  groups: z.array(z.number().int().positive()).min(1).max(EMBEDDING_MAX_INPUTS).optional(),
  /**
   * Where the worker publishes the `embeddings` (or `error`) event for a waiting gateway (which adds the job with
   * `removeOnComplete: true`). Absent for internal producers (conversation memory, RAG ingest) that read the job's
   * return value instead: they add the job with `removeOnComplete: { age: 300 }` and wait on its completion.
   */
  replyTo: ReplyToSchema.optional(),
});
export type EmbedTextsV1Payload = z.infer<typeof EmbedTextsV1PayloadSchema>;

/** An input group of a grouped job that was not embedded: the error a job of its inputs alone would have failed with. */
export const EmbeddingGroupErrorSchema = z.object({
  /** Index in the payload's `groups`. */
  group: z.number().int().nonnegative(),
  code: z.string(),
  message: z.string(),
  param: z.string().nullable(),
});
export type EmbeddingGroupError = z.infer<typeof EmbeddingGroupErrorSchema>;

export const EmbedTextsV1ResultSchema = z.object({
  /**
   * The vectors as base64 of little-endian float32, row-major, `count` × `dims` (see `decodeVectors`). Absent when
   * the job had a `replyTo`: the vectors went there, and BullMQ would otherwise copy them into its event stream too.
   */
  vectors: z.string().optional(),
  dims: z.number().int().positive(),
  count: z.number().int().nonnegative(),
  /** Tokens of all embedded inputs (groups in `errors` excluded), counted with the model's own tokenizer. */
  promptTokens: z.number().int().nonnegative(),
  /** Tokens of each input, in order (0 for the inputs of groups in `errors`). Absent from workers before it. */
  tokens: z.array(z.number().int().nonnegative()).optional(),
  /** Groups (of a job with `groups`) that were not embedded, with their error; absent when every group was. */
  errors: z.array(EmbeddingGroupErrorSchema).optional(),
});
export type EmbedTextsV1Result = z.infer<typeof EmbedTextsV1ResultSchema>;
