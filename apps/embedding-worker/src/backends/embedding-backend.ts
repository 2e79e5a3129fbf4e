/**
 * One loaded embedding model, whatever runs it (transformers.js/ONNX, llama.cpp). The worker tokenizes each job's
 * texts once (`tokenize`, then `countTokens` for limits and usage) and hands token ids to `embed`, so a batch of
 * texts from several jobs and token-id inputs take the same path.
 */
export interface EmbeddingBackend {
  /** Native vector size. */
  readonly dims: number;
  /** Token ids must be below this (an id outside the vocabulary is rejected before it reaches the model). */
  readonly vocabSize: number;
  /** Token ids of each text, ready for `embed`. */
  tokenize(texts: readonly string[]): number[][];
  /** Tokens the model evaluates for each input of `embed` (special tokens the backend adds included). */
  countTokens(inputs: readonly (readonly number[])[]): number[];
  /**
   * One vector per input, pooled and normalised as the model is configured. An input with nothing to pool (empty,
   * or only unknown tokens whose vectors are zero) gets a zero vector, never NaN.
   */
  embed(inputs: readonly (readonly number[])[]): Promise<Float32Array[]>;
  dispose(): Promise<void>;
}
