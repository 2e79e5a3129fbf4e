import type { GenerationResult, TextCompletion, TokenLogprob } from '@llmp/contracts';
import type { CompletionFormat } from '../generation/completion-runner.service';
import { SYSTEM_FINGERPRINT, toOpenAiFinishReason, toOpenAiUsage } from '../generation/openai-mappers';
import { LegacyLogprobs } from '../generation/openai-logprobs';

const now = () => Math.floor(Date.now() / 1000);

/**
 * Completions' `text_completion` response and stream, field for field. With `logprobs` (the request had
 * `logprobs: N`), the response and each text chunk carry the legacy `{tokens, token_logprobs, top_logprobs,
 * text_offset}` of their text, offsets counted from the start of the whole completion.
 */
export function completionFormat(model: string, logprobs = false): CompletionFormat {
  const legacy = new LegacyLogprobs();
  const body = (
    id: string,
    text: string,
    r: GenerationResult | null,
    usage: boolean,
    entries: TokenLogprob[] | null = null,
  ): TextCompletion => ({
    id,
    object: 'text_completion',
    created: now(),
    model,
    system_fingerprint: SYSTEM_FINGERPRINT,
    choices: [
      {
        index: 0,
        text,
        logprobs: entries ? legacy.next(entries) : null,
        finish_reason: r ? toOpenAiFinishReason(r.finishReason) : null,
      },
    ],
    ...(usage && r ? { usage: toOpenAiUsage(r.usage) } : {}),
  });
  return {
    doneMarker: true,
    response: (id, r) => body(id, r.text, r, true, logprobs ? (r.logprobs ?? []) : null),
    opening: () => [],
    delta: (id, text, entries) => [body(id, text, null, false, logprobs ? (entries ?? []) : null)],
    closing: (id, r) => [body(id, '', r, false)],
    usage: (id, r) => ({ ...body(id, '', null, true), choices: [], usage: toOpenAiUsage(r.usage) }),
  };
}
