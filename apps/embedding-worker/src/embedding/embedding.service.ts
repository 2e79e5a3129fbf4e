import { Injectable } from '@nestjs/common';
import { EmbedTextsV1Payload, EmbeddingGroupError, InferenceErrorCode } from '@llmp/contracts';
import type { EmbeddingModelDefinition } from '@llmp/platform';
import { truncateVector } from '../backends/vector-math';
import type { LoadedEmbeddingModel } from '../models/embedding-model-host.service';
import { EmbeddingError } from './embedding-error';

export interface EmbeddedInputs {
  /** Row-major, `count` × `dims`; zero rows for the inputs of groups in `errors`. */
  vectors: Float32Array;
  dims: number;
  count: number;
  /** Tokens of the embedded inputs. */
  promptTokens: number;
  /** Tokens of each input (0 for the inputs of groups in `errors`). */
  tokens: number[];
  /** Groups of a grouped job that were not embedded (empty otherwise). */
  errors: EmbeddingGroupError[];
}

/**
 * One job's work: tokenize its texts once, check every input against the model (length, vocabulary, `dimensions`),
 * then hand the token ids to the model's batcher, which runs them together with other jobs' inputs. A job with
 * `groups` (several requests merged by the gateway) is checked group by group: an invalid input fails only its group,
 * reported in `errors` with the message a job of that group alone would have failed with.
 */
@Injectable()
export class EmbeddingService {
  async embed(model: LoadedEmbeddingModel, payload: EmbedTextsV1Payload): Promise<EmbeddedInputs> {
    const def = model.definition;
    const dims = outputDimensions(def, payload.dimensions);
    const groups = payload.groups ?? [payload.inputs.length];
    if (groups.reduce((a, b) => a + b, 0) !== payload.inputs.length) {
      throw new EmbeddingError(
        InferenceErrorCode.InvalidInput,
        `groups add up to ${groups.reduce((a, b) => a + b, 0)} inputs, the job has ${payload.inputs.length}`,
        'groups',
      );
    }
    const texts = this.tokenizeTexts(model, payload.inputs);
    const ids: number[][] = new Array<number[]>(payload.inputs.length);
    const tokens: number[] = new Array<number>(payload.inputs.length).fill(0);
    const errors: EmbeddingGroupError[] = [];
    const embedAt: number[] = [];
    let start = 0;
    groups.forEach((size, group) => {
      try {
        const groupIds = this.check(model, payload.inputs, texts, start, size);
        const counts = model.backend.countTokens(groupIds);
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
        groupIds.forEach((x, i) => {
          ids[start + i] = x;
          tokens[start + i] = counts[i]!;
          embedAt.push(start + i);
        });
      } catch (err) {
        // Without groups the job is one request: its error is the job's, as it always was.
        if (!(err instanceof EmbeddingError) || !payload.groups) throw err;
        errors.push({ group, code: err.code, message: err.message, param: err.param });
      }
      start += size;
    });
    const rows = embedAt.length ? await model.batcher.submit(embedAt.map((i) => ids[i]!)) : [];
    const vectors = new Float32Array(payload.inputs.length * dims);
    rows.forEach((row, k) => {
      vectors.set(dims === row.length ? row : truncateVector(row, dims, def.normalize), embedAt[k]! * dims);
    });
    const promptTokens = tokens.reduce((a, b) => a + b, 0);
    return { vectors, dims, count: payload.inputs.length, promptTokens, tokens, errors };
  }

  /** Every text of the job tokenized in one call (index → ids); token-id inputs are left for `check`. */
  private tokenizeTexts(model: LoadedEmbeddingModel, inputs: EmbedTextsV1Payload['inputs']): Map<number, number[]> {
    const textAt: number[] = [];
    const texts: string[] = [];
    inputs.forEach((input, i) => {
      if (typeof input === 'string') {
        textAt.push(i);
        texts.push(input);
      }
    });
    const tokenized = texts.length ? model.backend.tokenize(texts) : [];
    return new Map(textAt.map((i, k) => [i, tokenized[k]!]));
  }

  /**
   * The token ids of the group `inputs[start, start + size)`; token-id inputs are checked against the vocabulary and
   * kept as they are. Indices in messages count from the group's first input.
   */
  private check(
    model: LoadedEmbeddingModel,
    inputs: EmbedTextsV1Payload['inputs'],
    texts: Map<number, number[]>,
    start: number,
    size: number,
  ): number[][] {
    const vocab = model.backend.vocabSize;
    const out: number[][] = [];
    for (let i = 0; i < size; i++) {
      const input = inputs[start + i]!;
      if (typeof input === 'string') {
        out.push(texts.get(start + i)!);
        continue;
      }
      const bad = input.find((id) => id >= vocab);
      if (bad !== undefined) {
        throw new EmbeddingError(
          InferenceErrorCode.InvalidInput,
          `input[${i}] contains token id ${bad}, outside the vocabulary of model '${model.id}' (0 to ${vocab - 1}).`,
          `input[${i}]`,
        );
      }
      out.push(input);
    }
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
