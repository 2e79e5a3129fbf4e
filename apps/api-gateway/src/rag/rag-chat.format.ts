import type { CompletionFormat } from '../generation/completion-runner.service';
import { toOpenAiFinishReason, toOpenAiUsage } from '../generation/openai-mappers';

/**
 * `/v1/rag/chat`'s answer: `{id, object: 'rag.chat', model, answer, sources, usage, finish_reason}` (`sources` and,
 * on a conversation, `conversation_id` come from the run's `complete`). Streamed: `data: {id, object:
 * 'rag.chat.delta', delta}` per piece of the answer, then `data: {…the whole answer…, object: 'rag.chat.completed'}`
 * with the sources and usage, then `data: [DONE]`; a failure mid-stream is a `data: {error}` event.
 */
export function ragChatFormat(model: string): CompletionFormat {
  const created = Math.floor(Date.now() / 1000);
  const whole = (object: string) => (id: string, r: Parameters<CompletionFormat['response']>[1], extra: object) => ({
    id,
    object,
    created,
    model,
    answer: r.text,
    sources: [],
    ...extra,
    usage: toOpenAiUsage(r.usage),
    finish_reason: toOpenAiFinishReason(r.finishReason),
  });
  return {
    doneMarker: true,
    response: whole('rag.chat'),
    opening: () => [],
    delta: (id, text) => [{ id, object: 'rag.chat.delta', delta: text }],
    closing: (id, r, extra) => [whole('rag.chat.completed')(id, r, extra)],
    usage: () => null,
  };
}
