import { MIN_LOGPROB, SampledStep, TokenLogprobBuilder, TokenTextSource, toLogprob } from './token-logprobs';

/** A SentencePiece-like vocabulary: '▁' is a space, dropped at the very start; `<0xNN>` pieces are raw bytes. */
const PIECES = ['<s>', '\u2581Once', '\u2581upon', ',', '<0xC3>', '<0xA9>', '\u2581caf', '.', '\u2581the'];
const ID = Object.fromEntries(PIECES.map((p, i) => [p, i]));

const source: TokenTextSource = {
  text: (token, previous) => {
    const piece = PIECES[token]!;
    if (/^<0x..>$/.test(piece)) return '\uFFFD';
    if (piece === '<s>') return '';
    const text = piece.replace(/\u2581/g, ' ');
    return previous.length === 0 ? text.replace(/^ /, '') : text;
  },
  rawBytes: (token) => {
    const m = /^<0x(..)>$/.exec(PIECES[token]!);
    return m ? [parseInt(m[1]!, 16)] : null;
  },
};

const step = (token: number, probability: number, top: [number, number][] = []): SampledStep => ({
  token,
  probability,
  top,
});

describe('TokenLogprobBuilder', () => {
  it('gives each released token its text, bytes, logprob and alternatives, in order', () => {
    const b = new TokenLogprobBuilder(source);
    b.record(
      step(ID['\u2581Once']!, 0.5, [
        [ID['\u2581Once']!, 0.5],
        [ID['\u2581the']!, 0.25],
      ]),
    );
    b.record(step(ID['\u2581upon']!, 0.9, [[ID['\u2581upon']!, 0.9]]));
    const first = b.release([ID['\u2581Once']!], 'Once')!;
    const second = b.release([ID['\u2581upon']!], ' upon')!;
    expect(first).toEqual([
      {
        token: 'Once',
        logprob: Math.log(0.5),
        bytes: [...Buffer.from('Once')],
        top_logprobs: [
          { token: 'Once', logprob: Math.log(0.5), bytes: [...Buffer.from('Once')] },
          { token: 'the', logprob: Math.log(0.25), bytes: [...Buffer.from('the')] },
        ],
      },
    ]);
    // After the first token an alternative reads with its leading space, as it would be emitted there.
    expect(second[0]).toMatchObject({ token: ' upon', logprob: Math.log(0.9), bytes: [...Buffer.from(' upon')] });
  });

  it('splits a character made of byte tokens: the completing token carries it, the bytes stay per token', () => {
    const b = new TokenLogprobBuilder(source);
    for (const t of ['\u2581caf', '<0xC3>', '<0xA9>']) b.record(step(ID[t]!, 0.5));
    const entries = b.release([ID['\u2581caf']!, ID['<0xC3>']!, ID['<0xA9>']!], 'café')!;
    expect(entries.map((e) => e.token)).toEqual(['caf', '', 'é']);
    expect(entries.map((e) => e.bytes)).toEqual([[...Buffer.from('caf')], [0xc3], [0xa9]]);
    expect(Buffer.from(entries.flatMap((e) => e.bytes!)).toString('utf8')).toBe('café');
  });

  it('writes a lone byte-token alternative the way OpenAI does, bytes:\\xNN', () => {
    const b = new TokenLogprobBuilder(source);
    b.record(
      step(ID[',']!, 0.6, [
        [ID[',']!, 0.6],
        [ID['<0xC3>']!, 0.1],
      ]),
    );
    const [entry] = b.release([ID[',']!], ',')!;
    expect(entry!.top_logprobs[1]).toEqual({ token: 'bytes:\\xc3', logprob: Math.log(0.1), bytes: [0xc3] });
  });

  it('skips the steps of sampled tokens that were never released (a dropped stop trigger)', () => {
    const b = new TokenLogprobBuilder(source);
    b.record(step(ID['.']!, 0.3));
    b.record(step(ID['\u2581the']!, 0.7));
    const [entry] = b.release([ID['\u2581the']!], 'the')!;
    expect(entry!.logprob).toBeCloseTo(Math.log(0.7));
  });

  it('returns null for a released token that was never sampled', () => {
    const b = new TokenLogprobBuilder(source);
    b.record(step(ID['.']!, 0.3));
    expect(b.release([ID[',']!], ',')).toBeNull();
  });

  it('keeps the released text whole when the tokens read differently one by one', () => {
    const b = new TokenLogprobBuilder(source);
    b.record(step(ID['\u2581Once']!, 0.5));
    b.record(step(ID['\u2581upon']!, 0.5));
    const entries = b.release([ID['\u2581Once']!, ID['\u2581upon']!], 'Onceupon')!;
    expect(entries.map((e) => e.token).join('')).toBe('Onceupon');
    expect(entries).toHaveLength(2);
  });
});

describe('toLogprob', () => {
  it('is the natural log, floored at -9999 for zero and capped at 0 for float rounding above 1', () => {
    expect(toLogprob(0.25)).toBeCloseTo(Math.log(0.25));
    expect(toLogprob(0)).toBe(MIN_LOGPROB);
    expect(toLogprob(1e-300 * 1e-300)).toBe(MIN_LOGPROB);
    expect(toLogprob(1.0000001)).toBe(0);
  });
});
