/**
 * What chunking needs from the embedding model's tokenizer: the token ids of a text, without the special tokens
 * (CLS/SEP, BOS/EOS) the model adds around a whole input (those are counted once per chunk by `specialTokens`).
 */
export interface ChunkTokenizer {
  encode(text: string): number[];
  /**
   * True when the tokenizer never merges across whitespace, so a text's count is exactly the sum of its words'
   * counts (WordPiece with the BERT or whitespace pre-tokenizer). `chunkText` then trusts its per-word counts;
   * otherwise (byte-level BPE, SentencePiece) it encodes each chunk once more to count it exactly.
   */
  readonly additive?: boolean;
  /** Tokens the model adds to every input (e.g. 2 for [CLS] … [SEP]); 0 when absent. */
  readonly specialTokens?: number;
}
