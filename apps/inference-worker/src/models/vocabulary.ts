/**
 * What the worker needs from a model's vocabulary beyond node-llama-cpp's tokenizer: its size (to validate token
 * ids a client sends, e.g. `logit_bias` keys) and the raw bytes of pieces that are not text on their own.
 * node-llama-cpp detokenizes to JS strings, so a token holding one byte of a multi-byte character comes back as
 * U+FFFD; its bytes are read from the GGUF piece instead (SentencePiece `<0xNN>` byte-fallback pieces, GPT-2
 * style byte-level BPE pieces).
 */
export class Vocabulary {
  private constructor(
    private readonly type: string,
    private readonly pieces: readonly string[],
  ) {}

  /** Builds it from the GGUF metadata; null when the file has no token list (nothing can be validated then). */
  static fromGguf(vocabularyType: string, pieces: readonly string[] | undefined): Vocabulary | null {
    return pieces && pieces.length > 0 ? new Vocabulary(vocabularyType, pieces) : null;
  }

  get size(): number {
    return this.pieces.length;
  }

  /** The bytes of a piece that stands for raw bytes, or null when the piece is text (or unknown). */
  rawBytes(token: number): number[] | null {
    const piece = this.pieces[token];
    if (piece === undefined) return null;
    const byte = /^<0x([0-9A-Fa-f]{2})>$/.exec(piece);
    if (byte) return [parseInt(byte[1]!, 16)];
    if (this.type === 'bpe') return byteLevelDecode(piece);
    return null;
  }
}

let byteLevelTable: Map<string, number> | undefined;

/**
 * GPT-2's byte-level BPE writes each byte as a printable character (`bytes_to_unicode`): printable Latin-1 bytes as
 * themselves, the others as U+0100 onwards. Returns the bytes of a piece so written, or null when a character is
 * outside that alphabet (a special token such as `<|endoftext|>` is plain text and decodes as its own bytes).
 */
export function byteLevelDecode(piece: string): number[] | null {
  if (!byteLevelTable) {
    byteLevelTable = new Map();
    let extra = 0;
    for (let b = 0; b < 256; b++) {
      const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
      byteLevelTable.set(String.fromCharCode(printable ? b : 256 + extra++), b);
    }
  }
  const bytes: number[] = [];
  for (const ch of piece) {
    const b = byteLevelTable.get(ch);
    if (b === undefined) return null;
    bytes.push(b);
  }
  return bytes;
}
