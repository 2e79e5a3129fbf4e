import type {
  ChatCompletionRequest,
  CompletionRequest,
  FinishReason,
  LogprobsRequest,
  OpenAiFinishReason,
  OpenAiUsage,
  SamplingParams,
  Usage,
} from '@llmp/contracts';

/** Maps OpenAI request fields onto the job contract's sampling parameters. */
export function toSampling(
  req: ChatCompletionRequest | CompletionRequest,
): Omit<SamplingParams, 'stop'> & { stop: string[] } {
  const maxTokens =
    ('max_completion_tokens' in req ? req.max_completion_tokens : undefined) ?? req.max_tokens ?? undefined;
  return {
    maxTokens,
    temperature: req.temperature ?? undefined,
    topP: req.top_p ?? undefined,
    seed: req.seed ?? undefined,
    stop: req.stop == null ? [] : Array.isArray(req.stop) ? req.stop : [req.stop],
    frequencyPenalty: req.frequency_penalty ?? undefined,
    presencePenalty: req.presence_penalty ?? undefined,
    logitBias: req.logit_bias ?? undefined,
    logprobs: requestedLogprobs(req),
  };
}

/** Chat: `logprobs: true` (+ `top_logprobs`); Completions: `logprobs: N` (0 = the chosen tokens only). */
function requestedLogprobs(req: ChatCompletionRequest | CompletionRequest): LogprobsRequest | undefined {
  if ('messages' in req) return req.logprobs ? { top: req.top_logprobs ?? 0 } : undefined;
  return req.logprobs == null ? undefined : { top: req.logprobs };
}

export function toOpenAiUsage(u: Usage): OpenAiUsage {
  return {
    prompt_tokens: u.promptTokens,
    completion_tokens: u.completionTokens,
    total_tokens: u.promptTokens + u.completionTokens,
  };
}

export function toOpenAiFinishReason(r: FinishReason): OpenAiFinishReason {
  return r === 'length' ? 'length' : r === 'tool_calls' ? 'tool_calls' : 'stop';
}

export const SYSTEM_FINGERPRINT = 'fp_llmp';
