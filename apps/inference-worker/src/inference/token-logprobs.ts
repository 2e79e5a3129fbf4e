import type { TokenLogprob, TopLogprob } from '@llmp/contracts';

/** OpenAI reports -9999.0 for tokens whose probability is (numerically) zero; JSON has no -Infinity. */
export const MIN_LOGPROB = -9999;

/** One sampling step as the distribution tap saw it. */
export interface SampledStep {
  token: number;
  /** Probability of `token` in the distribution it was drawn from. */
  probability: number;
  /** The most likely tokens at this step with their probabilities, most likely first, zero probabilities left out. */
  top: readonly (readonly [token: number, probability: number])[];
}

/** How a token reads: the model's detokenizer and its vocabulary. */
export interface TokenTextSource {
  /** The text of `token` following `previous` (detokenizer context, e.g. SentencePiece's leading space). */
  text(token: number, previous: readonly number[]): string;
  /** The raw bytes of a token whose text alone is not valid UTF-8 (a byte-fallback piece), if known. */
  rawBytes(token: number): number[] | null;
}

export function toLogprob(probability: number): number {
  if (!(probability > 0)) return MIN_LOGPROB;
  // float32 probabilities can exceed 1 by a rounding error.
  return Math.min(0, Math.max(MIN_LOGPROB, Math.log(probability)));
}

const REPLACEMENT = '\uFFFD';
/** node-llama-cpp's own detokenizer context (`maxRecentDetokenizerTokens`). */
const TRAIL = 3;

/**
 * Turns what a generation released (tokens with their text, as node-llama-cpp's `onToken` + `onTextChunk` pairs)
 * and what was sampled (the distribution of every step) into OpenAI token logprob entries.
 *
 * Released tokens are a subsequence of the sampled ones: node-llama-cpp holds back and drops tokens that form a
 * stop trigger of the chat template or text it ignores at the start. Each released token takes the first recorded
 * step with its id; steps skipped on the way belong to dropped tokens.
 *
 * The entries' `token` texts concatenate to the released text exactly: each token's bytes go through one
 * streaming UTF-8 decoder, so a token that only starts a character reads `''` and the token that completes it
 * carries the character. Pure apart from the injected text source.
 */
export class TokenLogprobBuilder {
  private readonly steps: SampledStep[] = [];
  private readonly previous: number[] = [];
  private readonly alternatives = new Map<number, TopLogprob>();

  constructor(
    private readonly source: TokenTextSource,
    /** Tokens the generated ones follow (a completion's prompt), so the first reads as it does after them. */
    context: readonly number[] = [],
  ) {
    this.previous.push(...context.slice(-TRAIL));
  }

  record(step: SampledStep): void {
    this.steps.push(step);
  }

  /** Entries of released tokens, in order; null when one was never sampled (it cannot be given a logprob). */
  release(tokens: readonly number[], text: string): TokenLogprob[] | null {
    const pieces = this.split(tokens, text);
    const entries: TokenLogprob[] = [];
    for (let i = 0; i < tokens.length; i++) {
      const at = this.steps.findIndex((s) => s.token === tokens[i]);
      if (at === -1) return null;
      const step = this.steps[at]!;
      this.steps.splice(0, at + 1);
      entries.push({
        token: pieces[i]!.text,
        logprob: toLogprob(step.probability),
        bytes: pieces[i]!.bytes,
        top_logprobs: step.top.map(([token, p]) => ({ ...this.alternative(token), logprob: toLogprob(p) })),
      });
      this.previous.push(tokens[i]!);
    }
    this.previous.splice(0, Math.max(0, this.previous.length - TRAIL));
    return entries;
  }

  private split(tokens: readonly number[], text: string): { text: string; bytes: number[] | null }[] {
    const decoder = new TextDecoder('utf-8');
    const previous = [...this.previous];
    const pieces = tokens.map((token) => {
      const own = this.source.text(token, previous.slice(-TRAIL));
      previous.push(token);
      const bytes = own.includes(REPLACEMENT) ? this.source.rawBytes(token) : utf8(own);
      return { text: bytes ? decoder.decode(Uint8Array.from(bytes), { stream: true }) : own, bytes };
    });
    const tail = decoder.decode();
    if (pieces.length > 0) pieces[pieces.length - 1]!.text += tail;
    if (pieces.map((p) => p.text).join('') === text) return pieces;
    // The detokenizer read the tokens together differently than one by one: the first token carries the text.
    return tokens.map((_, i) => (i === 0 ? { text, bytes: utf8(text) } : { text: '', bytes: [] }));
  }

  /** An alternative token as it would read here; a lone partial character reads as OpenAI writes it, `bytes:\xNN`. */
  private alternative(token: number): TopLogprob {
    const cacheable = this.previous.length > 0;
    const cached = cacheable ? this.alternatives.get(token) : undefined;
    if (cached) return cached;
    const text = this.source.text(token, this.previous);
    let entry: TopLogprob;
    if (!text.includes(REPLACEMENT)) entry = { token: text, logprob: 0, bytes: utf8(text) };
    else {
      const bytes = this.source.rawBytes(token);
      entry = bytes
        ? { token: `bytes:${bytes.map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join('')}`, logprob: 0, bytes }
        : { token: text, logprob: 0, bytes: null };
    }
    if (cacheable) this.alternatives.set(token, entry);
    return entry;
  }
}

function utf8(text: string): number[] {
  return [...Buffer.from(text, 'utf8')];
}
