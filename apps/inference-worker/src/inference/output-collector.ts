import type { DryRunPrompt, FinishReason, GenerationResult, PromptContext, TokenLogprob } from '@llmp/contracts';
import { LogprobAligner } from './logprob-aligner';
import { StopSequenceFilter } from './stop-sequence-filter';
import { SampledStep, TokenLogprobBuilder, TokenTextSource } from './token-logprobs';

export interface GenerationHooks {
  signal: AbortSignal;
  /** Called once the prompt is accepted (tokenized and within the context), before decoding starts. */
  /** `dryRun`: what a dry run shows (the job then ends without decoding). */
  onStart: (promptTokens: number, context?: PromptContext, dryRun?: DryRunPrompt) => void;
  /**
   * Text as it is produced; stop sequences are already held back and removed. With logprobs, `logprobs` holds the
   * entries of exactly the tokens this text is made of (absent for an echoed prompt).
   */
  onText?: (text: string, logprobs?: TokenLogprob[]) => void;
  onFirstToken?: () => void;
  /** Stream jobs: a fragment of a function call (`head` on its first fragment). */
  onToolCall?: (index: number, args: string, head?: { id: string; name: string }) => void;
}

/**
 * What a generation's text follows, so its first token reads as it does there. node-llama-cpp detokenizes its
 * first text chunk without context, and SentencePiece then drops the chunk's leading space (prompt "Once upon a"
 * → "time" where the text is " time"); later chunks are detokenized after the tokens before them.
 */
export interface TextContext {
  /** The tokens before the generation (a completion's prompt). */
  tokens: readonly number[];
  /** `tokens` detokenized as they read after `previous`. */
  detokenize(tokens: readonly number[], previous: readonly number[]): string;
}

export type StopReason =
  'eogToken' | 'stopGenerationTrigger' | 'functionCalls' | 'maxTokens' | 'abort' | 'customStopTrigger';

/**
 * Collects a generation's output: applies the stop sequences, forwards safe text to the hooks, counts tokens,
 * and ends the generation (through its own abort signal) as soon as a stop sequence appears. With logprobs it
 * also turns the sampled distributions into token entries and releases text only at token boundaries, so each
 * piece of text goes out with the entries of its tokens.
 */
export class OutputCollector {
  private readonly filter: StopSequenceFilter;
  private readonly internal = new AbortController();
  readonly signal: AbortSignal;
  private text = '';
  private completionTokens = 0;
  private readonly logprobs: { builder: TokenLogprobBuilder; aligner: LogprobAligner; all: TokenLogprob[] } | null;
  private releasedTokens: number[] = [];
  /** The tokens of the chunk `onText` is about to receive. */
  private chunkTokens: readonly number[] = [];
  private firstChunk = true;
  private misaligned = false;

  constructor(
    stops: readonly string[],
    private readonly hooks: GenerationHooks,
    /** Set to collect logprobs. */
    tokenTexts?: TokenTextSource,
    /** Set when the text continues earlier tokens (a completion's prompt). */
    private readonly context?: TextContext,
  ) {
    this.filter = new StopSequenceFilter(stops);
    this.signal = AbortSignal.any([hooks.signal, this.internal.signal]);
    this.logprobs = tokenTexts
      ? {
          builder: new TokenLogprobBuilder(tokenTexts, context?.tokens),
          aligner: new LogprobAligner(),
          all: [],
        }
      : null;
  }

  /** Feed for the distribution tap (logprobs only). */
  readonly onSampled = (step: SampledStep): void => {
    this.logprobs?.builder.record(step);
  };

  /** node-llama-cpp calls this with the tokens of each text chunk, just before `onText` with their text. */
  readonly onToken = (tokens: readonly number[]): void => {
    if (this.completionTokens === 0) this.hooks.onFirstToken?.();
    this.completionTokens += tokens.length;
    this.chunkTokens = tokens;
    if (this.logprobs) this.releasedTokens.push(...tokens);
  };

  readonly onText = (received: string): void => {
    let chunk = received;
    if (this.firstChunk && this.context && this.context.tokens.length > 0 && this.chunkTokens.length > 0) {
      chunk = this.context.detokenize(this.chunkTokens, this.context.tokens);
    }
    this.firstChunk = false;
    if (this.logprobs) {
      const entries = this.logprobs.builder.release(this.releasedTokens, chunk);
      this.releasedTokens = [];
      if (!entries) {
        // A token was released that the tap never saw sampled: no honest logprob exists for it.
        this.misaligned = true;
        this.internal.abort();
        return;
      }
      this.logprobs.aligner.push(entries);
    }
    this.emit(this.filter.push(chunk));
    if (this.filter.stopped) this.internal.abort();
  };

  result(stopReason: StopReason, promptTokens: number, prefix: string): GenerationResult {
    if (this.misaligned) {
      throw new Error('logprobs: node-llama-cpp released a token that was not sampled through the distribution tap');
    }
    this.emit(this.filter.flush());
    if (this.logprobs) this.send(this.logprobs.aligner.finish());
    const reason: FinishReason = this.filter.stopped
      ? 'stop'
      : this.hooks.signal.aborted
        ? 'cancelled'
        : finishReason(stopReason);
    return {
      text: prefix + this.text,
      finishReason: reason,
      usage: { promptTokens, completionTokens: this.completionTokens },
      ...(this.logprobs ? { logprobs: this.logprobs.all } : {}),
      ...(this.filter.matched !== null ? { stopSequence: this.filter.matched } : {}),
    };
  }

  private emit(text: string): void {
    if (!this.logprobs) {
      if (!text) return;
      this.text += text;
      this.hooks.onText?.(text);
      return;
    }
    this.send(this.logprobs.aligner.take(text));
  }

  private send({ text, logprobs }: { text: string; logprobs: TokenLogprob[] }): void {
    if (!text && logprobs.length === 0) return;
    this.text += text;
    this.logprobs?.all.push(...logprobs);
    this.hooks.onText?.(text, logprobs);
  }
}

function finishReason(stopReason: StopReason): FinishReason {
  switch (stopReason) {
    case 'maxTokens':
      return 'length';
    case 'abort':
      return 'cancelled';
    case 'eogToken':
    case 'stopGenerationTrigger':
    case 'customStopTrigger':
    case 'functionCalls':
      return 'stop';
  }
}
