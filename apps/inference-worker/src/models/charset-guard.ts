/**
 * Some GGUF vocabularies (SentencePiece without byte-fallback tokens) cannot represent every character, and
 * llama.cpp aborts the whole process when asked to tokenize one. This guard knows which characters such a model
 * can tokenize, so the worker rejects the request instead of crashing. Written by hand because it is specific to
 * llama.cpp's tokenizer behaviour; no library covers it.
 */
export class CharsetGuard {
  private constructor(private readonly allowed: Set<string> | null) {}

  /** Builds the guard from the vocabulary in the GGUF metadata. */
  static fromVocabulary(vocabularyType: string, tokens: readonly string[] | undefined): CharsetGuard {
    if (!tokens || vocabularyType !== 'spm') return new CharsetGuard(null); // BPE/WPM vocabularies cover all bytes.
    if (tokens.includes('<0x00>') && tokens.includes('<0xFF>')) return new CharsetGuard(null); // byte fallback
    const allowed = new Set<string>();
    for (const t of tokens) {
      const text = t.replace(/\u2581/g, ' ');
      if ([...text].length === 1) allowed.add(text);
    }
    return new CharsetGuard(allowed);
  }

  get restricted(): boolean {
    return this.allowed !== null;
  }

  /** The distinct characters of `text` the vocabulary cannot tokenize (empty when all are fine). */
  unsupported(text: string): string[] {
    if (!this.allowed) return [];
    const bad = new Set<string>();
    for (const ch of text) if (!this.allowed.has(ch)) bad.add(ch);
    return [...bad];
  }
}
