import { Injectable } from '@nestjs/common';
import { EmbedTextsV1Payload, InferenceErrorCode } from '@llmp/contracts';
import type { EmbeddingModelDefinition } from '@llmp/platform';
import { truncateVector } from '../backends/vector-math';
import type { LoadedEmbeddingModel } from '../models/embedding-model-host.service';
import { EmbeddingError } from './embedding-error';

export interface EmbeddedInputs {
  /** Row-major, `count` × `dims`. */
  vectors: Float32Array;
  dims: number;
  count: number;
  promptTokens: number;
}

/**
 * One job's work: tokenize its texts once, check every input against the model (length, vocabulary, `dimensions`),
 * then hand the token ids to the model's batcher, which runs them together with other jobs' inputs.
 */
@Injectable()
export class EmbeddingService {
  async embed(model: LoadedEmbeddingModel, payload: EmbedTextsV1Payload): Promise<EmbeddedInputs> {
    const def = model.definition;
    const dims = outputDimensions(def, payload.dimensions);
    const ids = this.tokenize(model, payload.inputs);
    const counts = model.backend.countTokens(ids);
    counts.forEach((n, i) => {
      if (n > def.max_tokens) {
        throw new EmbeddingError(
          InferenceErrorCode.InputTooLong,
          `This model's maximum input length is ${def.max_tokens} tokens. However, input[${i}] has ${n} tokens. ` +
            'Please reduce the length of the input.',
          `input[${i}]`,
        );
      }
    });
    const rows = await model.batcher.submit(ids);
    const vectors = new Float32Array(rows.length * dims);
    rows.forEach((row, i) => {
      vectors.set(dims === row.length ? row : truncateVector(row, dims, def.normalize), i * dims);
    });
    return { vectors, dims, count: rows.length, promptTokens: counts.reduce((a, b) => a + b, 0) };
  }

  /** Texts are tokenized in one call; token-id inputs are checked against the vocabulary and kept as they are. */
  private tokenize(model: LoadedEmbeddingModel, inputs: EmbedTextsV1Payload['inputs']): number[][] {
    const textAt: number[] = [];
    const texts: string[] = [];
    inputs.forEach((input, i) => {
      if (typeof input === 'string') {
        textAt.push(i);
        texts.push(input);
      }
    });
    const tokenized = texts.length ? model.backend.tokenize(texts) : [];
    const out: number[][] = new Array<number[]>(inputs.length);
    textAt.forEach((i, k) => (out[i] = tokenized[k]!));
    const vocab = model.backend.vocabSize;
    inputs.forEach((input, i) => {
      if (typeof input === 'string') return;
      const bad = input.find((id) => id >= vocab);
      if (bad !== undefined) {
        throw new EmbeddingError(
          InferenceErrorCode.InvalidInput,
          `input[${i}] contains token id ${bad}, outside the vocabulary of model '${model.id}' (0 to ${vocab - 1}).`,
          `input[${i}]`,
        );
      }
      out[i] = input;
    });
    return out;
  }
}

/** The vector size a job asks for: native, or fewer for Matryoshka models (checked here too for internal callers). */
export function outputDimensions(def: EmbeddingModelDefinition, requested: number | undefined): number {
  if (requested === undefined || requested === def.dimensions) return def.dimensions;
  if (requested > def.dimensions || !def.matryoshka) {
    throw new EmbeddingError(
      InferenceErrorCode.InvalidInput,
      def.matryoshka
        ? `Model '${def.id}' has ${def.dimensions} dimensions; dimensions must be at most ${def.dimensions}.`
        : `Model '${def.id}' does not support dimensions other than its native ${def.dimensions}.`,
      'dimensions',
    );
  }
  return requested;
}
