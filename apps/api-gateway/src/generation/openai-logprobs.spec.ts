import type { TokenLogprob } from '@llmp/contracts';
import { LegacyLogprobs, toChatLogprobs, toResponsesLogprobs } from './openai-logprobs';

const entry = (token: string, logprob: number, top: [string, number][] = []): TokenLogprob => ({
  token,
  logprob,
  bytes: [...Buffer.from(token)],
  top_logprobs: top.map(([t, lp]) => ({ token: t, logprob: lp, bytes: [...Buffer.from(t)] })),
});

describe('LegacyLogprobs', () => {
  it('lays the entries out as parallel arrays with offsets into the text, continued across calls', () => {
    const legacy = new LegacyLogprobs();
    const first = legacy.next([
      entry(' time', -0.1, [
        [' time', -0.1],
        [' day', -2.5],
      ]),
      entry(',', -0.2, [[',', -0.2]]),
    ]);
    expect(first).toEqual({
      tokens: [' time', ','],
      token_logprobs: [-0.1, -0.2],
      top_logprobs: [{ ' time': -0.1, ' day': -2.5 }, { ',': -0.2 }],
      text_offset: [0, 5],
    });
    // Offsets count characters (code points), and a token that only starts a character takes none.
    const second = legacy.next([entry('', -1), entry('é', -0.5), entry('🙂', -0.3), entry(' x', -0.4)]);
    expect(second.text_offset).toEqual([6, 6, 7, 8]);
    expect(second.tokens.join('')).toBe('é🙂 x');
  });

  it('always lists the chosen token among the alternatives, and keeps the likelier of two alike', () => {
    const [top] = new LegacyLogprobs().next([
      entry(' a', -3, [
        [' the', -0.5],
        ['__proto__', -1],
        ['__proto__', -2],
      ]),
    ]).top_logprobs;
    expect(Object.entries(top!)).toEqual([
      [' the', -0.5],
      ['__proto__', -1],
      [' a', -3],
    ]);
    expect(JSON.stringify(top)).toBe('{" the":-0.5,"__proto__":-1," a":-3}');
  });

  it('gives an empty layout for no entries', () => {
    expect(new LegacyLogprobs().next(undefined)).toEqual({
      tokens: [],
      token_logprobs: [],
      top_logprobs: [],
      text_offset: [],
    });
  });
});

describe('chat and Responses logprobs', () => {
  it('passes chat entries through with no refusal', () => {
    const entries = [entry('Hi', -0.1, [['Hi', -0.1]])];
    expect(toChatLogprobs(entries)).toEqual({ content: entries, refusal: null });
    expect(toChatLogprobs(undefined)).toEqual({ content: [], refusal: null });
  });

  it('gives Responses entries bytes even where the worker knows none', () => {
    const unknown: TokenLogprob = { token: '\uFFFD', logprob: -1, bytes: null, top_logprobs: [] };
    expect(toResponsesLogprobs([entry('a', -0.5, [['a', -0.5]]), unknown])).toEqual([
      { token: 'a', logprob: -0.5, bytes: [97], top_logprobs: [{ token: 'a', logprob: -0.5, bytes: [97] }] },
      { token: '\uFFFD', logprob: -1, bytes: [], top_logprobs: [] },
    ]);
  });
});
