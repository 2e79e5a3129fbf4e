import { ChatCompletionRequestSchema, CompletionRequestSchema } from '@llmp/contracts';
import { toChatMessages } from '../chat-completions/chat-tools';
import { toOpenAiFinishReason, toOpenAiUsage, toSampling } from './openai-mappers';

const chat = (extra: Record<string, unknown>) =>
  ChatCompletionRequestSchema.parse({ model: 'm', messages: [{ role: 'user', content: 'hi' }], ...extra });
const completion = (extra: Record<string, unknown>) =>
  CompletionRequestSchema.parse({ model: 'm', prompt: 'Once', ...extra });

describe('toSampling', () => {
  it('lets max_completion_tokens win over max_tokens', () => {
    expect(toSampling(chat({ max_tokens: 100, max_completion_tokens: 7 })).maxTokens).toBe(7);
    expect(toSampling(chat({ max_tokens: 100 })).maxTokens).toBe(100);
    expect(toSampling(chat({ max_tokens: 100, max_completion_tokens: null })).maxTokens).toBe(100);
    expect(toSampling(chat({})).maxTokens).toBeUndefined();
  });

  it('uses max_tokens on text completions', () => {
    expect(toSampling(completion({ max_tokens: 12 })).maxTokens).toBe(12);
  });

  it('turns a stop string into a one-element array and keeps arrays as they are', () => {
    expect(toSampling(chat({ stop: 'END' })).stop).toEqual(['END']);
    expect(toSampling(chat({ stop: ['a', 'b'] })).stop).toEqual(['a', 'b']);
    expect(toSampling(chat({ stop: null })).stop).toEqual([]);
    expect(toSampling(chat({})).stop).toEqual([]);
  });

  it('maps the OpenAI sampling fields and turns nulls into "not set"', () => {
    expect(
      toSampling(
        completion({ temperature: 0.7, top_p: 0.9, seed: 42, frequency_penalty: 0.5, presence_penalty: -0.5 }),
      ),
    ).toEqual({
      maxTokens: undefined,
      temperature: 0.7,
      topP: 0.9,
      seed: 42,
      stop: [],
      frequencyPenalty: 0.5,
      presencePenalty: -0.5,
    });
    const nulls = toSampling(chat({ temperature: null, top_p: null, seed: null }));
    expect(nulls.temperature).toBeUndefined();
    expect(nulls.topP).toBeUndefined();
    expect(nulls.seed).toBeUndefined();
  });

  it('maps chat logprobs/top_logprobs and completions logprobs onto one logprobs request', () => {
    expect(toSampling(chat({ logprobs: true, top_logprobs: 5 })).logprobs).toEqual({ top: 5 });
    expect(toSampling(chat({ logprobs: true })).logprobs).toEqual({ top: 0 });
    expect(toSampling(chat({ logprobs: false })).logprobs).toBeUndefined();
    expect(toSampling(chat({})).logprobs).toBeUndefined();
    expect(toSampling(completion({ logprobs: 3 })).logprobs).toEqual({ top: 3 });
    expect(toSampling(completion({ logprobs: 0 })).logprobs).toEqual({ top: 0 });
    expect(toSampling(completion({ logprobs: null })).logprobs).toBeUndefined();
  });

  it('passes logit_bias on as the job contract takes it', () => {
    expect(toSampling(chat({ logit_bias: { 50: -100, 7: 2.5 } })).logitBias).toEqual({ '50': -100, '7': 2.5 });
    expect(toSampling(completion({ logit_bias: null })).logitBias).toBeUndefined();
  });

  it('keeps temperature 0 and seed 0 (falsy but set)', () => {
    const s = toSampling(chat({ temperature: 0, seed: 0 }));
    expect(s.temperature).toBe(0);
    expect(s.seed).toBe(0);
  });
});

describe('toChatMessages', () => {
  it('maps developer to system and keeps the other roles', () => {
    const req = chat({
      messages: [
        { role: 'developer', content: 'be brief' },
        { role: 'system', content: 'sys' },
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'hello' },
      ],
    });
    expect(toChatMessages(req.messages)).toEqual([
      { role: 'system', content: 'be brief' },
      { role: 'system', content: 'sys' },
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'hello' },
    ]);
  });

  it('joins text content parts in order, with nothing between them', () => {
    const req = chat({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Once upon ' },
            { type: 'text', text: 'a time' },
          ],
        },
      ],
    });
    expect(toChatMessages(req.messages)).toEqual([{ role: 'user', content: 'Once upon a time' }]);
  });

  it('gives an assistant message without content an empty string', () => {
    const req = chat({
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: null },
      ],
    });
    expect(toChatMessages(req.messages)[1]).toEqual({ role: 'assistant', content: '' });
  });
});

describe('usage and finish reason', () => {
  it('adds prompt and completion tokens into total_tokens', () => {
    expect(toOpenAiUsage({ promptTokens: 25, completionTokens: 40 })).toEqual({
      prompt_tokens: 25,
      completion_tokens: 40,
      total_tokens: 65,
    });
  });

  it('maps length to length and everything else to stop', () => {
    expect(toOpenAiFinishReason('length')).toBe('length');
    expect(toOpenAiFinishReason('stop')).toBe('stop');
    expect(toOpenAiFinishReason('cancelled')).toBe('stop');
  });
});
