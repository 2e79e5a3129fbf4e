import type { GenerationResult, TextCompletion } from '@llmp/contracts';
import type { CompletionFormat } from '../generation/completion-runner.service';
import { SYSTEM_FINGERPRINT, toOpenAiFinishReason, toOpenAiUsage } from '../generation/openai-mappers';

const now = () => Math.floor(Date.now() / 1000);

/** Completions' `text_completion` response and stream, field for field. */
export function completionFormat(model: string): CompletionFormat {
  const body = (id: string, text: string, r: GenerationResult | null, usage: boolean): TextCompletion => ({
    id,
    object: 'text_completion',
    created: now(),
    model,
    system_fingerprint: SYSTEM_FINGERPRINT,
    choices: [{ index: 0, text, logprobs: null, finish_reason: r ? toOpenAiFinishReason(r.finishReason) : null }],
    ...(usage && r ? { usage: toOpenAiUsage(r.usage) } : {}),
  });
  return {
    doneMarker: true,
    response: (id, r) => body(id, r.text, r, true),
    opening: () => [],
    delta: (id, text) => body(id, text, null, false),
    closing: (id, r) => [body(id, '', r, false)],
    usage: (id, r) => ({ ...body(id, '', null, true), choices: [], usage: toOpenAiUsage(r.usage) }),
  };
}
