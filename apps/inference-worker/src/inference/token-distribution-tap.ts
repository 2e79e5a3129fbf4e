import type { LlamaContextSequence, SequenceEvaluateOptions, Token } from 'node-llama-cpp';
import type { SampledStep } from './token-logprobs';

/**
 * Records the distribution of every token sampled on a sequence, for logprobs.
 *
 * node-llama-cpp 3.22 computes token probabilities only in `LlamaContextSequence.evaluateWithMetadata`
 * (`{probabilities: true}`: the whole distribution; `{confidence: true}`: the chosen token's probability alone);
 * LlamaChat and LlamaCompletion expose neither, and generate by iterating `sequence.evaluate(tokens, options)`,
 * which is `evaluateWithMetadata(tokens, {}, options)` yielding only the token. This replaces `evaluate` on this one
 * sequence (a fresh sequence per request, disposed afterwards) with the same loop asking for the metadata, so
 * LlamaChat keeps doing everything else (chat template, stop triggers, token bias, penalties) unchanged.
 *
 * The probabilities are those of llama.cpp's sampler chain output, the distribution the token was drawn from:
 * after `logit_bias` and the repeat penalties, and (temperature > 0) after top-k / top-p / min-p truncation and
 * temperature. With temperature 0 the chain is bias → penalties → greedy, so they are the softmax of the model's
 * logits plus the biases over the whole vocabulary.
 */
export function tapTokenDistributions(
  sequence: LlamaContextSequence,
  top: number,
  onStep: (step: SampledStep) => void,
): void {
  // The whole distribution is copied into a JS Map per token; ask for it only when alternatives are wanted.
  const metadata = top > 0 ? ({ probabilities: true } as const) : ({ confidence: true } as const);
  sequence.evaluate = async function* (tokens: Token[], options?: SequenceEvaluateOptions) {
    const iterator = sequence.evaluateWithMetadata(tokens, metadata, options);
    let input: void | Token | Token[] = undefined;
    try {
      while (true) {
        const { value, done } = await iterator.next(input);
        if (done) return;
        const out = value as { token: Token; confidence?: number; probabilities?: Map<Token, number> };
        onStep(toStep(out, top));
        input = yield out.token;
      }
    } finally {
      await iterator.return();
    }
  };
}

function toStep(out: { token: Token; confidence?: number; probabilities?: Map<Token, number> }, top: number) {
  const step: SampledStep = { token: out.token, probability: out.confidence ?? 0, top: [] };
  if (!out.probabilities) return step;
  const best: [number, number][] = [];
  // The map is sorted by probability, highest first.
  for (const [token, p] of out.probabilities) {
    if (best.length >= top || !(p > 0)) break;
    best.push([token, p]);
  }
  return { ...step, probability: out.probabilities.get(out.token) ?? 0, top: best };
}
