import { InferenceErrorCode } from '@llmp/contracts';

/** A job the model cannot serve as asked (input too long, token id outside the vocabulary): reported, never retried. */
export class EmbeddingError extends Error {
  override readonly name = 'EmbeddingError';
  constructor(
    readonly code: InferenceErrorCode,
    message: string,
    readonly param: string | null = null,
  ) {
    super(message);
  }
}
