import { join } from 'node:path';
import { EmbeddingModelDefinitionSchema } from '@llmp/platform';
import { chunkText, estimatingTokenizer, loadChunkTokenizer, resolveChunkOptions, type ChunkTokenizer } from './index';

/** One token per whitespace-separated word (and per 4 characters of a long one): easy to reason about. */
const wordTokenizer: ChunkTokenizer = {
  encode: (text) =>
    text
      .split(/\s+/)
      .filter(Boolean)
      .flatMap((w) => new Array<number>(Math.ceil(w.length / 4)).fill(1)),
  additive: true,
};

const words = (n: number, from = 0): string => Array.from({ length: n }, (_, i) => `w${from + i}`).join(' ');

function expectExactOffsets(text: string, chunks: ReturnType<typeof chunkText>): void {
  for (const c of chunks) expect(text.slice(c.start, c.end)).toBe(c.text);
  chunks.forEach((c, i) => expect(c.index).toBe(i));
}

describe('chunkText', () => {
  it('keeps a short text in one chunk, trimmed, with exact offsets', () => {
    const text = '\n\n  Hello there, world.  \n';
    const chunks = chunkText(text, wordTokenizer, { maxTokens: 10, overlapTokens: 0 });
    expect(chunks).toEqual([{ index: 0, text: 'Hello there, world.', start: 4, end: 23, tokens: 6 }]);
    expect(chunkText(' \n ', wordTokenizer, { maxTokens: 10, overlapTokens: 0 })).toEqual([]);
  });

  it('never exceeds maxTokens, covers the whole text and overlaps by at most overlapTokens', () => {
    const text = words(1000);
    const chunks = chunkText(text, wordTokenizer, { maxTokens: 100, overlapTokens: 30 });
    expectExactOffsets(text, chunks);
    for (const c of chunks) expect(c.tokens).toBeLessThanOrEqual(100);
    expect(chunks[0]!.start).toBe(0);
    expect(chunks.at(-1)!.end).toBe(text.length);
    for (let i = 1; i < chunks.length; i++) {
      const [prev, cur] = [chunks[i - 1]!, chunks[i]!];
      expect(cur.start).toBeLessThan(prev.end); // overlapping …
      expect(cur.start).toBeGreaterThan(prev.start); // … and moving on
      const shared = text.slice(cur.start, prev.end).split(' ').length;
      expect(shared).toBe(30);
    }
    // 1000 words, 70 new words a chunk after the first.
    expect(chunks).toHaveLength(14);
  });

  it('without overlap, chunks tile the text at word boundaries', () => {
    const text = words(250);
    const chunks = chunkText(text, wordTokenizer, { maxTokens: 100, overlapTokens: 0 });
    expect(chunks.map((c) => c.tokens)).toEqual([100, 100, 50]);
    expect(chunks.map((c) => c.text).join(' ')).toBe(text);
  });

  it('prefers to end a chunk at a paragraph, then at a sentence, rather than mid-sentence', () => {
    const para = (n: number, from: number) => `${words(n, from)}.`;
    const text = `${para(60, 0)}\n\n${para(30, 100)} ${para(30, 200)}`;
    const chunks = chunkText(text, wordTokenizer, { maxTokens: 80, overlapTokens: 0 });
    expect(chunks[0]!.text).toBe(para(60, 0));
    expect(chunks[1]!.text).toBe(`${para(30, 100)} ${para(30, 200)}`);
    const sentences = `${para(50, 0)} ${para(50, 100)}`;
    expect(chunkText(sentences, wordTokenizer, { maxTokens: 80, overlapTokens: 0 })[0]!.text).toBe(para(50, 0));
  });

  it('cuts a word longer than a chunk, with offsets still exact', () => {
    const blob = 'x'.repeat(2000);
    const text = `start ${blob} end`;
    const chunks = chunkText(text, wordTokenizer, { maxTokens: 100, overlapTokens: 10 });
    expectExactOffsets(text, chunks);
    for (const c of chunks) expect(c.tokens).toBeLessThanOrEqual(100);
    expect(chunks.at(-1)!.text.endsWith('end')).toBe(true);
  });

  it('counts each chunk exactly with a tokenizer whose counts do not add up over words', () => {
    // Every newline costs a token of its own, which per-word counts miss.
    const newlineTokenizer: ChunkTokenizer = {
      encode: (t) => [...wordTokenizer.encode(t), ...(t.match(/\n/g) ?? []).map(() => 0)],
    };
    const text = Array.from({ length: 300 }, (_, i) => `line ${i}`).join('\n');
    const chunks = chunkText(text, newlineTokenizer, { maxTokens: 50, overlapTokens: 10 });
    expectExactOffsets(text, chunks);
    for (const c of chunks) {
      expect(c.tokens).toBe(newlineTokenizer.encode(c.text).length);
      expect(c.tokens).toBeLessThanOrEqual(50);
    }
    expect(chunks.at(-1)!.end).toBe(text.length);
  });

  it('rejects options outside the limits', () => {
    expect(() => chunkText('a', wordTokenizer, { maxTokens: 0, overlapTokens: 0 })).toThrow(RangeError);
    expect(() => chunkText('a', wordTokenizer, { maxTokens: 100, overlapTokens: 51 })).toThrow(RangeError);
  });
});

describe('resolveChunkOptions', () => {
  it('follows OpenAI: auto is 800/400, static is 100..4096 with overlap up to half', () => {
    expect(resolveChunkOptions(undefined)).toEqual({ maxTokens: 800, overlapTokens: 400 });
    expect(resolveChunkOptions({ type: 'auto' })).toEqual({ maxTokens: 800, overlapTokens: 400 });
    const s = (max: number, overlap: number) =>
      ({ type: 'static', static: { max_chunk_size_tokens: max, chunk_overlap_tokens: overlap } }) as const;
    expect(resolveChunkOptions(s(4096, 2048))).toEqual({ maxTokens: 4096, overlapTokens: 2048 });
    expect(() => resolveChunkOptions(s(99, 0))).toThrow(RangeError);
    expect(() => resolveChunkOptions(s(4097, 0))).toThrow(RangeError);
    expect(() => resolveChunkOptions(s(200, 101))).toThrow(RangeError);
  });

  it('lowers the chunk size to what the embedding model takes', () => {
    expect(resolveChunkOptions({ type: 'auto' }, { maxTokens: 512, specialTokens: 2 })).toEqual({
      maxTokens: 510,
      overlapTokens: 255,
    });
  });
});

describe('with the real potion-base-2M tokenizer', () => {
  const def = EmbeddingModelDefinitionSchema.parse({
    id: 'potion-base-2m',
    kind: 'embedding',
    path: join(__dirname, '../../../../../../shared/models/potion-base-2M'),
    dimensions: 64,
  });
  let tokenizer: ChunkTokenizer;
  beforeAll(async () => {
    tokenizer = await loadChunkTokenizer(def);
  });

  it('loads as an exact, additive WordPiece tokenizer', () => {
    expect(tokenizer.additive).toBe(true);
    expect(tokenizer.specialTokens).toBe(0);
    expect(tokenizer.encode('Hello, World!')).toHaveLength(4);
  });

  it('chunks real prose to exact token counts within the limit, fast', () => {
    const sentence =
      'Retrieval augmented generation splits documents into chunks, embeds them, and searches the nearest ones. ';
    let text = '';
    for (let i = 0; text.length < 1_000_000; i++) text += sentence + (i % 7 === 6 ? `Section ${i}.\n\n` : '');
    const started = performance.now();
    const chunks = chunkText(text, tokenizer, { maxTokens: 800, overlapTokens: 400 });
    const ms = performance.now() - started;
    expectExactOffsets(text, chunks);
    for (const c of chunks.slice(0, 20)) expect(c.tokens).toBe(tokenizer.encode(c.text).length);
    for (const c of chunks) expect(c.tokens).toBeLessThanOrEqual(800);
    expect(chunks.at(-1)!.end).toBe(text.trimEnd().length);
    // A correctness guard with ample headroom, not a benchmark (measured about 0.1 s here).
    expect(ms).toBeLessThan(5000);
  });
});

describe('estimatingTokenizer', () => {
  it('errs on the side of more tokens than a real tokenizer', () => {
    const t = estimatingTokenizer();
    expect(t.encode('hello world, this is a test').length).toBeGreaterThanOrEqual(7);
    expect(t.encode('日本語').length).toBe(3);
  });
});
