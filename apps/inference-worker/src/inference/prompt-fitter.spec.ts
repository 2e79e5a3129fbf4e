import type { ChatMessage } from '@llmp/contracts';
import { PromptTooLongError, fitPrompt } from './prompt-fitter';

// One token per word keeps the arithmetic visible.
const countTokens = (text: string) => (text ? text.split(/\s+/).length : 0);
const words = (n: number) => Array.from({ length: n }, () => 'w').join(' ');

const sys: ChatMessage = { role: 'system', content: words(5), section: 'system' };
const summary: ChatMessage = { role: 'system', content: words(10), section: 'summary', ref: 'sum_1' };
const memLow: ChatMessage = { role: 'system', content: words(4), section: 'memory', ref: 'msg_low', score: 0.5 };
const memHigh: ChatMessage = { role: 'system', content: words(4), section: 'memory', ref: 'msg_high', score: 0.9 };
const turns: ChatMessage[] = [1, 2, 3, 4].map((i) => ({
  role: i % 2 ? 'user' : 'assistant',
  content: words(10),
  section: 'turn',
  ref: `msg_t${i}`,
}));
const input: ChatMessage = { role: 'user', content: words(6) };
const all = [sys, summary, memLow, memHigh, ...turns, input];

describe('fitPrompt', () => {
  it('keeps everything when it fits and reports tokens per section', () => {
    const r = fitPrompt(all, { limit: 1000, countTokens, perMessageOverhead: 1 });
    expect(r.messages).toEqual(all);
    expect(r.context.tokens).toEqual({ system: 6, summary: 11, memory: 10, turn: 44, input: 7 });
    expect(r.context.summaryId).toBe('sum_1');
    expect(r.context.verbatimIds).toEqual(['msg_t1', 'msg_t2', 'msg_t3', 'msg_t4']);
    expect(r.context.droppedIds).toEqual([]);
  });

  it('drops the oldest turns first, keeping order', () => {
    // total 78; limit 60 → drop t1 (11) and t2 (11) → 56
    const r = fitPrompt(all, { limit: 60, countTokens, perMessageOverhead: 1 });
    expect(r.context.verbatimIds).toEqual(['msg_t3', 'msg_t4']);
    expect(r.context.droppedIds).toEqual(['msg_t1', 'msg_t2']);
    expect(r.messages.at(-1)).toBe(input);
    expect(r.estimatedTokens).toBe(56);
  });

  it('then drops the lowest-scored memories, then the summary', () => {
    // Without turns: system 6 + input 7 + memories 5 + 5 + summary 11 = 34.
    const partly = fitPrompt(all, { limit: 29, countTokens, perMessageOverhead: 1 });
    expect(partly.context.memories).toEqual([{ id: 'msg_high', score: 0.9 }]);
    expect(partly.context.summaryId).toBe('sum_1');
    const summaryOnly = fitPrompt(all, { limit: 25, countTokens, perMessageOverhead: 1 });
    expect(summaryOnly.context.memories).toEqual([]);
    expect(summaryOnly.context.summaryId).toBe('sum_1');
    const bare = fitPrompt(all, { limit: 20, countTokens, perMessageOverhead: 1 });
    expect(bare.context.summaryId).toBeNull();
    expect(bare.estimatedTokens).toBe(13);
  });

  it('applies section budgets before the global limit', () => {
    const r = fitPrompt(all, { limit: 1000, countTokens, perMessageOverhead: 1, budgets: { turn: 22, memory: 5 } });
    expect(r.context.verbatimIds).toEqual(['msg_t3', 'msg_t4']);
    expect(r.context.memories.map((m) => m.id)).toEqual(['msg_high']);
  });

  it('never drops system or input; fails when they alone do not fit', () => {
    expect(() => fitPrompt(all, { limit: 12, countTokens, perMessageOverhead: 1 })).toThrow(PromptTooLongError);
  });

  it('drops retrieved passages lowest score first, before memories, and reports their tokens as their own section', () => {
    const srcLow: ChatMessage = { role: 'system', content: words(9), section: 'retrieval', ref: 'src_2', score: 0.2 };
    const srcHigh: ChatMessage = { role: 'system', content: words(9), section: 'retrieval', ref: 'src_1', score: 0.8 };
    const msgs = [sys, memLow, srcHigh, srcLow, input];
    // 6 + 5 + 10 + 10 + 7 = 38
    expect(fitPrompt(msgs, { limit: 100, countTokens, perMessageOverhead: 1 }).context.tokens).toEqual({
      system: 6,
      memory: 5,
      retrieval: 20,
      input: 7,
    });
    const r = fitPrompt(msgs, { limit: 30, countTokens, perMessageOverhead: 1 });
    expect(r.messages).toEqual([sys, memLow, srcHigh, input]);
    expect(r.context.droppedIds).toEqual(['src_2']);
    const budgeted = fitPrompt(msgs, { limit: 100, budgets: { retrieval: 10 }, countTokens, perMessageOverhead: 1 });
    expect(budgeted.context.droppedIds).toEqual(['src_2']);
  });
});
