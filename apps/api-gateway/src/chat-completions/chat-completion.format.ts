import type {
  ChatCompletion,
  ChatCompletionChunk,
  GenerationResult,
  OpenAiFinishReason,
  TokenLogprob,
} from '@llmp/contracts';
import type { CompletionFormat } from '../generation/completion-runner.service';
import { SYSTEM_FINGERPRINT, toOpenAiFinishReason, toOpenAiUsage } from '../generation/openai-mappers';
import { toChatLogprobs } from '../generation/openai-logprobs';

const now = () => Math.floor(Date.now() / 1000);

/**
 * Chat Completions' response and `chat.completion.chunk` stream, field for field. With `logprobs` (the request
 * had `logprobs: true`), the response and each content chunk carry `{content, refusal}` with the entries of
 * their text. Calls come as `tool_calls` (finish reason `tool_calls`), or with `legacy` (the request used
 * `functions`) as the single `function_call` (finish reason `function_call`).
 */
export function chatFormat(model: string, logprobs = false, legacy = false): CompletionFormat {
  const finish = (r: GenerationResult): OpenAiFinishReason =>
    r.finishReason === 'tool_calls' && legacy ? 'function_call' : toOpenAiFinishReason(r.finishReason);
  const message = (r: GenerationResult): ChatCompletion['choices'][0]['message'] => {
    const calls = r.toolCalls ?? [];
    if (!calls.length) return { role: 'assistant', content: r.text, refusal: null };
    const content = r.text !== '' ? r.text : null;
    if (legacy) return { role: 'assistant', content, refusal: null, function_call: { ...pick(calls[0]!) } };
    return {
      role: 'assistant',
      content,
      refusal: null,
      tool_calls: calls.map((c) => ({ id: c.id, type: 'function', function: pick(c) })),
    };
  };
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
          message: message(r),
          logprobs: logprobs ? toChatLogprobs(r.logprobs) : null,
          finish_reason: finish(r),
        },
      ],
      usage: toOpenAiUsage(r.usage),
      ...extra,
    }),
    opening: (id) => [chunk(id, { role: 'assistant', content: '' }, null)],
    delta: (id, text, entries) => [chunk(id, { content: text }, null, logprobs ? (entries ?? []) : null)],
    toolCall: (id, call) => [
      chunk(
        id,
        legacy
          ? { function_call: { ...(call.name ? { name: call.name } : {}), arguments: call.arguments } }
          : {
              tool_calls: [
                {
                  index: call.index,
                  ...(call.id ? { id: call.id, type: 'function' as const } : {}),
                  function: { ...(call.name ? { name: call.name } : {}), arguments: call.arguments },
                },
              ],
            },
        null,
      ),
    ],
    closing: (id, r, extra) => [{ ...chunk(id, {}, finish(r)), ...extra }],
    usage: (id, r) => ({ ...chunk(id, {}, null), choices: [], usage: toOpenAiUsage(r.usage) }),
  };
}

const pick = (c: { name: string; arguments: string }) => ({ name: c.name, arguments: c.arguments });

/**
 * The extension chunk a streamed `tool_execution: 'server'` loop sends after running a step's calls: no choices
 * (standard clients skip it, as they skip the usage chunk), the calls with their outputs in `tool_step`.
 */
export function toolStepChunk(id: string, model: string, step: number, calls: unknown[]) {
  return {
    id,
    object: 'chat.completion.chunk' as const,
    created: now(),
    model,
    system_fingerprint: SYSTEM_FINGERPRINT,
    choices: [],
    tool_step: { step, calls },
  };
}
