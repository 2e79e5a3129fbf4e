import type { ChatCompletion, ChatCompletionChunk } from '@llmp/contracts';
import type { CompletionFormat } from '../generation/completion-runner.service';
import { SYSTEM_FINGERPRINT, toOpenAiFinishReason, toOpenAiUsage } from '../generation/openai-mappers';

const now = () => Math.floor(Date.now() / 1000);

/** Chat Completions' response and `chat.completion.chunk` stream, field for field. */
export function chatFormat(model: string): CompletionFormat {
  const chunk = (
    id: string,
    delta: ChatCompletionChunk['choices'][0]['delta'],
    finish: ChatCompletionChunk['choices'][0]['finish_reason'],
  ): ChatCompletionChunk => ({
    id,
    object: 'chat.completion.chunk',
    created: now(),
    model,
    system_fingerprint: SYSTEM_FINGERPRINT,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
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
          logprobs: null,
          finish_reason: toOpenAiFinishReason(r.finishReason),
        },
      ],
      usage: toOpenAiUsage(r.usage),
      ...extra,
    }),
    opening: (id) => [chunk(id, { role: 'assistant', content: '' }, null)],
    delta: (id, text) => chunk(id, { content: text }, null),
    closing: (id, r, extra) => [{ ...chunk(id, {}, toOpenAiFinishReason(r.finishReason)), ...extra }],
    usage: (id, r) => ({ ...chunk(id, {}, null), choices: [], usage: toOpenAiUsage(r.usage) }),
  };
}
