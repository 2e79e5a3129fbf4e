import type { TokenLogprob } from '@llmp/contracts';
import { GenerationHooks, OutputCollector, TextContext } from './output-collector';
import type { TokenTextSource } from './token-logprobs';

/** A SentencePiece-like vocabulary: '▁' is a space, dropped when a token is detokenized with nothing before it. */
const PIECES = ['<s>', '\u2581Once', '\u2581upon', '\u2581a', '\u2581time', ','];
const ID = Object.fromEntries(PIECES.map((p, i) => [p, i]));

function detokenize(tokens: readonly number[], previous: readonly number[] = []): string {
  const text = tokens.map((t) => PIECES[t]!.replace(/\u2581/g, ' ')).join('');
  return previous.length === 0 ? text.replace(/^ /, '') : text;
}

const tokenTexts: TokenTextSource = { text: (token, previous) => detokenize([token], previous), rawBytes: () => null };
const prompt: TextContext = { tokens: [ID['\u2581Once']!, ID['\u2581upon']!, ID['\u2581a']!], detokenize };

function hooks() {
  const texts: { text: string; logprobs?: TokenLogprob[] }[] = [];
  const h: GenerationHooks = {
    signal: new AbortController().signal,
    onStart: () => undefined,
    onText: (text, logprobs) => texts.push({ text, ...(logprobs ? { logprobs } : {}) }),
  };
  return { h, texts };
}

/** Feeds the collector as node-llama-cpp's LlamaCompletion does: its first chunk detokenized without context. */
function generate(out: OutputCollector, tokens: number[], sampled = false) {
  const previous: number[] = [];
  for (const token of tokens) {
    if (sampled) out.onSampled({ token, probability: 0.5, top: [] });
    out.onToken([token]);
    out.onText(detokenize([token], previous));
    previous.push(token);
  }
}

describe('OutputCollector text context', () => {
  const reply = [ID['\u2581time']!, ID[',']!];

  it("keeps the leading space of a completion's first token after its prompt", () => {
    const { h, texts } = hooks();
    const out = new OutputCollector([], h, undefined, prompt);
    generate(out, reply);
    expect(texts.map((t) => t.text)).toEqual([' time', ',']);
    expect(out.result('maxTokens', 4, '').text).toBe(' time,');
    // Echo: the prompt and the completion read as one text.
    expect(detokenize(prompt.tokens) + out.result('maxTokens', 4, '').text).toBe('Once upon a time,');
  });

  it('gives the first token its leading space in the logprob entries too, so they still join to the text', () => {
    const { h, texts } = hooks();
    const out = new OutputCollector([], h, tokenTexts, prompt);
    generate(out, reply, true);
    const result = out.result('maxTokens', 4, '');
    expect(result.text).toBe(' time,');
    expect(result.logprobs!.map((e) => e.token)).toEqual([' time', ',']);
    expect(texts.flatMap((t) => t.logprobs!.map((e) => e.token)).join('')).toBe(' time,');
  });

  it('applies a stop sequence that starts with the restored space', () => {
    const { h } = hooks();
    const out = new OutputCollector([' time'], h, undefined, prompt);
    generate(out, reply);
    const result = out.result('maxTokens', 4, '');
    expect(result.text).toBe('');
    expect(result.finishReason).toBe('stop');
  });

  it('leaves text without context as node-llama-cpp gives it (a chat reply, an empty prompt)', () => {
    for (const context of [undefined, { tokens: [], detokenize }]) {
      const { h } = hooks();
      const out = new OutputCollector([], h, undefined, context);
      generate(out, reply);
      expect(out.result('maxTokens', 1, '').text).toBe('time,');
    }
  });
});
