import type { ChunkTokenizer } from './chunk-tokenizer';

export interface Chunk {
  /** 0-based position in the document. */
  index: number;
  /** Exactly `text.slice(start, end)` of the chunked text. */
  text: string;
  /** Character (UTF-16 code unit) offsets into the chunked text, for citations. */
  start: number;
  end: number;
  /** Tokens of `text` by the tokenizer, special tokens not included. */
  tokens: number;
}

export interface ChunkOptions {
  /** Most tokens in one chunk (special tokens not included). */
  maxTokens: number;
  /** Tokens at the end of a chunk repeated at the start of the next; at most half of `maxTokens`. */
  overlapTokens: number;
}

/** Longest run of non-space characters counted as one piece; longer runs (URLs, CJK text, base64) are cut. */
const MAX_PIECE_CHARS = 32;

/**
 * How good a place the boundary before a piece is to end a chunk: a blank line, a line break, after a sentence,
 * after a clause, between words, inside a word.
 */
const enum Break {
  InWord = 0,
  Word = 1,
  Clause = 2,
  Sentence = 3,
  Line = 4,
  Paragraph = 5,
}

/** A word (or a cut piece of a long one) with the whitespace before it. */
interface Pieces {
  /** Offset of the piece's first non-space character. */
  start: number[];
  end: number[];
  brk: Break[];
  /** cum[i]: tokens of pieces 0..i-1 (cum has one more entry than there are pieces). */
  cum: number[];
  /** cut[i]: how many of pieces 0..i-1 continue a cut word. */
  cut: number[];
}

/**
 * Splits a text into chunks of at most `maxTokens` tokens by the embedding model's tokenizer, consecutive chunks
 * sharing about `overlapTokens` tokens, each chunk ending at the best boundary in the second half of its window
 * (paragraph > line > sentence > clause > word; inside a word only when a word alone is longer than a chunk).
 *
 * Written here rather than taken from a splitter library: the ones on npm (LangChain's text splitters, llm-chunk,
 * …) either count characters or re-run a length function over ever-growing strings, and none returns offsets into
 * the original text. Here each distinct word is encoded once (cached), chunks are packed by prefix sums of word
 * counts, and a chunk is encoded once more only for tokenizers whose counts are not additive over words (see
 * `ChunkTokenizer.additive`), so the cost is linear in the text.
 */
export function chunkText(text: string, tokenizer: ChunkTokenizer, opts: ChunkOptions): Chunk[] {
  const { maxTokens, overlapTokens } = opts;
  if (!Number.isInteger(maxTokens) || maxTokens < 1) throw new RangeError(`maxTokens must be a positive integer`);
  if (!Number.isInteger(overlapTokens) || overlapTokens < 0 || overlapTokens > maxTokens / 2) {
    throw new RangeError(`overlapTokens must be an integer from 0 to half of maxTokens (${maxTokens})`);
  }
  const counter = cachedCounter(tokenizer);
  const p = pieces(text, counter, maxTokens);
  const n = p.start.length;
  const chunks: Chunk[] = [];
  const cum = p.cum;
  let s = 0;
  while (s < n) {
    // e: the most pieces from s that fit.
    const e = Math.min(n, upperBound(cum, cum[s]! + maxTokens) - 1);
    let c = e === n ? n : bestCut(p, s, e, maxTokens);
    let tokens = cum[c]! - cum[s]!;
    // Counts add up over whole words only: a chunk holding a cut word is counted again too.
    if (!tokenizer.additive || p.cut[c]! - p.cut[s + 1]! > 0) {
      tokens = tokenizer.encode(text.slice(p.start[s], p.end[c - 1])).length;
      while (tokens > maxTokens && c > s + 1) {
        // Drop pieces from the end until their estimated tokens cover the excess, then count again.
        const target = cum[c]! - (tokens - maxTokens);
        c = Math.max(s + 1, Math.min(c - 1, upperBound(cum, target) - 1));
        tokens = tokenizer.encode(text.slice(p.start[s], p.end[c - 1])).length;
      }
    }
    const start = p.start[s]!;
    const end = p.end[c - 1]!;
    chunks.push({ index: chunks.length, text: text.slice(start, end), start, end, tokens });
    if (c >= n) break;
    s = nextStart(p, s, c, opts);
  }
  return chunks;
}

/** The cut (exclusive piece index) in (s, e] with the best break, among those that fill at least half the chunk. */
function bestCut(p: Pieces, s: number, e: number, maxTokens: number): number {
  const { cum, brk } = p;
  const minTokens = cum[s]! + maxTokens / 2;
  let best = e;
  let bestBreak = brk[e]!;
  for (let c = e - 1; c > s && cum[c]! >= minTokens && bestBreak < Break.Paragraph; c--) {
    if (brk[c]! > bestBreak) [best, bestBreak] = [c, brk[c]!];
  }
  return best;
}

/** Where the chunk after [s, c) starts: `overlapTokens` back from c, at a word start, leaving room for new text. */
function nextStart(p: Pieces, s: number, c: number, { maxTokens, overlapTokens }: ChunkOptions): number {
  const { cum, brk } = p;
  // The first piece whose tokens up to c fit in the overlap …
  let next = overlapTokens === 0 ? c : lowerBound(cum, cum[c]! - overlapTokens);
  // … at a word start …
  while (next < c && brk[next] === Break.InWord) next++;
  // … and early enough that piece c still fits after the overlap, and never before s + 1.
  const roomFor = lowerBound(cum, cum[c + 1]! - maxTokens);
  return Math.max(next, roomFor, s + 1);
}

function pieces(text: string, count: (s: string) => number, maxTokens: number): Pieces {
  const p: Pieces = { start: [], end: [], brk: [], cum: [0], cut: [0] };
  const push = (start: number, end: number, brk: Break, tokens: number): void => {
    p.start.push(start);
    p.end.push(end);
    p.brk.push(brk);
    p.cum.push(p.cum[p.cum.length - 1]! + tokens);
    p.cut.push(p.cut[p.cut.length - 1]! + (brk === Break.InWord ? 1 : 0));
  };
  // A word is a run of non-space characters; CJK sentence ends close a word, so a sentence boundary falls there.
  const word = /(\s*)([^\s。！？]+[。！？]*|[。！？]+)/gu;
  let prev = '';
  for (let m = word.exec(text); m; m = word.exec(text)) {
    const ws = m[1]!;
    const w = m[2]!;
    const start = m.index + ws.length;
    const brk = breakBefore(ws, prev);
    prev = w;
    if (w.length <= MAX_PIECE_CHARS) {
      const tokens = count(w);
      if (tokens <= maxTokens) {
        push(start, start + w.length, brk, tokens);
        continue;
      }
    }
    cutWord(text, start, start + w.length, brk, count, maxTokens, push);
  }
  return p;
}

/** A word too long for one piece, cut into pieces of at most MAX_PIECE_CHARS and maxTokens (halved until it fits). */
function cutWord(
  text: string,
  from: number,
  to: number,
  brk: Break,
  count: (s: string) => number,
  maxTokens: number,
  push: (start: number, end: number, brk: Break, tokens: number) => void,
): void {
  const emit = (a: number, b: number, first: boolean): void => {
    const tokens = count(text.slice(a, b));
    if (tokens > maxTokens && b - a > 2) {
      const mid = safeSplit(text, a + Math.floor((b - a) / 2));
      if (mid > a && mid < b) {
        emit(a, mid, first);
        emit(mid, b, false);
        return;
      }
    }
    push(a, b, first ? brk : Break.InWord, tokens);
  };
  for (let a = from; a < to;) {
    const b = a + MAX_PIECE_CHARS >= to ? to : safeSplit(text, a + MAX_PIECE_CHARS);
    emit(a, b, a === from);
    a = b;
  }
}

/** i, or i + 1 when i would split a surrogate pair. */
function safeSplit(text: string, i: number): number {
  const c = text.charCodeAt(i);
  return c >= 0xdc00 && c <= 0xdfff ? i + 1 : i;
}

function breakBefore(ws: string, prevWord: string): Break {
  if (prevWord === '') return Break.Paragraph;
  const newlines = ws.split('\n').length - 1;
  if (newlines >= 2) return Break.Paragraph;
  if (newlines === 1) return Break.Line;
  if (/[.!?。！？…]["'”’)\]]*$/u.test(prevWord)) return Break.Sentence;
  if (/[,;:、，；：]["'”’)\]]*$/u.test(prevWord)) return Break.Clause;
  return ws === '' ? Break.InWord : Break.Word;
}

function cachedCounter(tokenizer: ChunkTokenizer): (s: string) => number {
  const cache = new Map<string, number>();
  return (s) => {
    let n = cache.get(s);
    if (n === undefined) {
      n = tokenizer.encode(s).length;
      if (cache.size < 200_000) cache.set(s, n);
    }
    return n;
  };
}

/** First index i with a[i] >= x (a ascending). */
function lowerBound(a: readonly number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index i with a[i] > x (a ascending). */
function upperBound(a: readonly number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
