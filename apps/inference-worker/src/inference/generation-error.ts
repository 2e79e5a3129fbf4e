import { InferenceErrorCode } from '@llmp/contracts';

/** A request the model cannot serve (too long, untokenizable, wrong capability): reported, never retried. */
export class GenerationError extends Error {
  override readonly name = 'GenerationError';
  constructor(
    readonly code: InferenceErrorCode,
    message: string,
    readonly param: string | null = null,
  ) {
    super(message);
  }
}
