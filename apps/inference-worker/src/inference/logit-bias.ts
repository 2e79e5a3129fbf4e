import type { LlamaModel, Token, TokenBias } from 'node-llama-cpp';
import { InferenceErrorCode, LogitBias } from '@llmp/contracts';
import type { LlamaCpp } from '../models/llama-cpp';
import { GenerationError } from './generation-error';

/** OpenAI: "values like -100 or 100 should result in a ban or exclusive selection of the relevant token". */
/** OpenAI's logit_bias value that bans a token outright. */
export const LOGIT_BAN = -100;

/**
 * Checks a job's `logitBias` against the model's vocabulary and returns it by token id, zero biases left out.
 * Pure: the caller turns the result into node-llama-cpp's TokenBias. Throws a GenerationError (param
 * `logit_bias`) naming the first id the vocabulary does not have.
 */
export function resolveLogitBias(
  bias: LogitBias | undefined,
  modelId: string,
  vocabularySize: number | null,
): Map<number, number> {
  const resolved = new Map<number, number>();
  for (const [key, value] of Object.entries(bias ?? {})) {
    const token = Number(key);
    if (vocabularySize === null) {
      throw new GenerationError(
        InferenceErrorCode.UnsupportedCapability,
        `Model '${modelId}' has no token list in its file, so 'logit_bias' cannot be checked or applied.`,
        'logit_bias',
      );
    }
    if (!Number.isSafeInteger(token) || token >= vocabularySize) {
      throw new GenerationError(
        InferenceErrorCode.InvalidRequest,
        `Invalid key in 'logit_bias': ${key}. Token ids of model '${modelId}' go from 0 to ${vocabularySize - 1}.`,
        'logit_bias',
      );
    }
    if (value !== 0) resolved.set(token, value);
  }
  return resolved;
}

/**
 * A node-llama-cpp TokenBias adding each bias to the token's logit before sampling (llama.cpp's logit-bias
 * sampler, first in the chain, so penalties, truncation and temperature see the biased logits); -100 sets the
 * logit to -Infinity so the token can never be drawn.
 */
export function toTokenBias(lib: LlamaCpp, model: LlamaModel, biases: Map<number, number>): TokenBias | undefined {
  if (biases.size === 0) return undefined;
  const tokenBias = new lib.TokenBias(model.tokenizer);
  for (const [id, bias] of biases) {
    const token = id as Token;
    const logit = bias <= LOGIT_BAN ? -Infinity : bias;
    if (model.isEogToken(token)) setEndOfGenerationBias(tokenBias, token, logit);
    else tokenBias.set(token, { logit });
  }
  return tokenBias;
}

/**
 * node-llama-cpp 3.22's `TokenBias.set` silently skips end-of-generation tokens (it wants every generation able to
 * end), but banning or forcing the end of text is a standard use of `logit_bias`. The biases live in the
 * instance's `_biases` map, which its sampler reads as is; a version without that map is refused, not ignored.
 */
function setEndOfGenerationBias(tokenBias: TokenBias, token: number, logit: number): void {
  const biases = (tokenBias as unknown as { _biases?: unknown })._biases;
  if (!(biases instanceof Map)) {
    throw new GenerationError(
      InferenceErrorCode.UnsupportedCapability,
      `This worker cannot bias the end-of-generation token ${token}.`,
      'logit_bias',
    );
  }
  (biases as Map<number, number>).set(token, logit);
}
