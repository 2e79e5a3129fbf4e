import type { ChatCompletionLogprobs, CompletionLogprobs, TokenLogprob } from '@llmp/contracts';

/**
 * The worker's token entries (OpenAI's ChatCompletionTokenLogprob shape, their `token` texts joining to exactly
 * the text they came with) in the shape of each OpenAI endpoint.
 */

/** Chat Completions: the entries as they are; a reply has no refusal. */
export function toChatLogprobs(entries: readonly TokenLogprob[] | undefined): ChatCompletionLogprobs {
  return { content: entries ? [...entries] : [], refusal: null };
}

/** A Responses API logprob: OpenAI's shape always has `bytes` (a token of unknown bytes gets none). */
export interface ResponsesLogprob {
  token: string;
  logprob: number;
  bytes: number[];
  top_logprobs: { token: string; logprob: number; bytes: number[] }[];
}

export function toResponsesLogprobs(entries: readonly TokenLogprob[] | undefined): ResponsesLogprob[] {
  return (entries ?? []).map((e) => ({
    token: e.token,
    logprob: e.logprob,
    bytes: e.bytes ?? [],
    top_logprobs: e.top_logprobs.map((alt) => ({ token: alt.token, logprob: alt.logprob, bytes: alt.bytes ?? [] })),
  }));
}

/**
 * The legacy Completions shape, for one choice: parallel arrays, `text_offset` counting characters (code points,
 * as OpenAI's Python-side offsets do) from the start of the choice's text, continued across a stream's chunks.
 * `top_logprobs` maps each alternative's text to its logprob, and always holds the chosen token ("up to
 * logprobs + 1 elements" in OpenAI's words); two alternatives reading alike keep the likelier one.
 */
export class LegacyLogprobs {
  private offset = 0;

  /** `entries` follow the text already rendered by this instance. */
  next(entries: readonly TokenLogprob[] | undefined): CompletionLogprobs {
    const out: CompletionLogprobs = { tokens: [], token_logprobs: [], top_logprobs: [], text_offset: [] };
    for (const e of entries ?? []) {
      out.tokens.push(e.token);
      out.token_logprobs.push(e.logprob);
      out.text_offset.push(this.offset);
      this.offset += [...e.token].length;
      // A null prototype: a token text such as `__proto__` is an ordinary key.
      const top = Object.create(null) as Record<string, number>;
      for (const alt of e.top_logprobs) if (!(alt.token in top)) top[alt.token] = alt.logprob;
      if (!(e.token in top)) top[e.token] = e.logprob;
      out.top_logprobs.push(top);
    }
    return out;
  }
}
