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
   * Where the worker publishes the `embeddings` (or `error`) event for a waiting gateway (which adds the job with
   * `removeOnComplete: true`). Absent for internal producers (conversation memory, RAG ingest) that read the job's
   * return value instead: they add the job with `removeOnComplete: { age: 300 }` and wait on its completion.
   */
  replyTo: ReplyToSchema.optional(),
});
export type EmbedTextsV1Payload = z.infer<typeof EmbedTextsV1PayloadSchema>;

export const EmbedTextsV1ResultSchema = z.object({
  /**
   * The vectors as base64 of little-endian float32, row-major, `count` × `dims` (see `decodeVectors`). Absent when
   * the job had a `replyTo`: the vectors went there, and BullMQ would otherwise copy them into its event stream too.
   */
  vectors: z.string().optional(),
  dims: z.number().int().positive(),
  count: z.number().int().nonnegative(),
  /** Tokens of all inputs, counted with the model's own tokenizer. */
  promptTokens: z.number().int().nonnegative(),
});
export type EmbedTextsV1Result = z.infer<typeof EmbedTextsV1ResultSchema>;
