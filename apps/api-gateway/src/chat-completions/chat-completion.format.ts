import type { ChatCompletion, ChatCompletionChunk, TokenLogprob } from '@llmp/contracts';
import type { CompletionFormat } from '../generation/completion-runner.service';
import { SYSTEM_FINGERPRINT, toOpenAiFinishReason, toOpenAiUsage } from '../generation/openai-mappers';
import { toChatLogprobs } from '../generation/openai-logprobs';

const now = () => Math.floor(Date.now() / 1000);

/**
 * Chat Completions' response and `chat.completion.chunk` stream, field for field. With `logprobs` (the request
 * had `logprobs: true`), the response and each content chunk carry `{content, refusal}` with the entries of
 * their text.
 */
export function chatFormat(model: string, logprobs = false): CompletionFormat {
  const chunk = (
    id: string,
    delta: ChatCompletionChunk['choices'][0]['delta'],
    finish: ChatCompletionChunk['choices'][0]['finish_reason'],
    entries: TokenLogprob[] | null = null,
  ): ChatCompletionChunk => ({
    id,
    object: 'chat.completion.chunk',
    created: now(),
    model,
    system_fingerprint: SYSTEM_FINGERPRINT,
    choices: [{ index: 0, delta, logprobs: entries ? toChatLogprobs(entries) : null, finish_reason: finish }],
  });
  return {
    doneMarker: true,
    response: (id, r, extra): ChatCompletion => ({
      id,
      object: 'chat.completion',
      created: now(),
      model,
      system_fingerprint: SYSTEM_FINGERPRINT,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: r.text, refusal: null },
          logprobs: logprobs ? toChatLogprobs(r.logprobs) : null,
          finish_reason: toOpenAiFinishReason(r.finishReason),
        },
      ],
      usage: toOpenAiUsage(r.usage),
      ...extra,
    }),
    opening: (id) => [chunk(id, { role: 'assistant', content: '' }, null)],
    delta: (id, text, entries) => chunk(id, { content: text }, null, logprobs ? (entries ?? []) : null),
    closing: (id, r, extra) => [{ ...chunk(id, {}, toOpenAiFinishReason(r.finishReason)), ...extra }],
    usage: (id, r) => ({ ...chunk(id, {}, null), choices: [], usage: toOpenAiUsage(r.usage) }),
  };
}
