import { z } from 'zod';
import { servedFields } from './served-fields';
import { EMBEDDING_MAX_INPUTS, EmbeddingJobInput } from '../queue/embedding.jobs';

const TokenId = z.number().int().nonnegative();

/**
 * OpenAI's `input`: a string, an array of strings, an array of token ids, or an array of arrays of token ids. Empty
 * strings, empty arrays and more than 2,048 inputs are rejected with `param` naming the offending item.
 */
export const EmbeddingsInputSchema = z
  .union([z.string(), z.array(z.string()), z.array(TokenId), z.array(z.array(TokenId))], {
    errorMap: () => ({
      message:
        'input must be a string, an array of strings, an array of token ids or an array of arrays of token ids ' +
        '(non-negative integers)',
    }),
  })
  .superRefine((input, ctx) => {
    if (typeof input === 'string') {
      if (input === '') ctx.addIssue({ code: 'custom', message: 'input must not be an empty string' });
      return;
    }
    if (input.length === 0) {
      ctx.addIssue({ code: 'custom', message: 'input must not be an empty array' });
      return;
    }
    if (typeof input[0] === 'number') return; // one token-id array: at least one token, any length.
    if (input.length > EMBEDDING_MAX_INPUTS) {
      ctx.addIssue({
        code: 'custom',
        message: `input may contain at most ${EMBEDDING_MAX_INPUTS} items; it has ${input.length}`,
      });
      return;
    }
    (input as (string | number[])[]).forEach((item, i) => {
      if (item.length === 0) {
        const what = typeof item === 'string' ? 'an empty string' : 'an empty array of token ids';
        ctx.addIssue({ code: 'custom', message: `input[${i}] must not be ${what}`, path: [i] });
      }
    });
  });
export type EmbeddingsInput = z.infer<typeof EmbeddingsInputSchema>;

export const EmbeddingsRequestSchema = servedFields(
  {
    model: z.string().min(1),
    input: EmbeddingsInputSchema,
    /** OpenAI's default is `float`; the official SDKs ask for `base64` unless told otherwise and decode it. */
    encoding_format: z.enum(['float', 'base64']).nullable().optional(),
    /** Fewer dimensions than the model's own: truncated and renormalised, only where the model allows it. */
    dimensions: z.number().int().positive().nullable().optional(),
    user: z.string().optional(),
  },
  {},
);
export type EmbeddingsRequest = z.infer<typeof EmbeddingsRequestSchema>;

/** The inputs of a request, one per output vector, in order: a string is one input, a token-id array too. */
export function embeddingInputs(input: EmbeddingsInput): EmbeddingJobInput[] {
  if (typeof input === 'string') return [input];
  if (input.length > 0 && typeof input[0] === 'number') return [input as number[]];
  return input as string[] | number[][];
}

export interface Embedding {
  object: 'embedding';
  index: number;
  /** Floats, or base64 of their little-endian float32 bytes when `encoding_format` is `base64`. */
  embedding: number[] | string;
}

export interface CreateEmbeddingResponse {
  object: 'list';
  data: Embedding[];
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
}
