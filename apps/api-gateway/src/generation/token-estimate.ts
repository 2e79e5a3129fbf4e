/**
 * Upper-bound guess of a prompt's tokens for rate-limit reservations, made before the worker tokenizes it
 * (the gateway loads no tokenizer). About 3 bytes per token for English with common tokenizers, rounded up; the
 * reservation is reconciled with the exact count when the job ends.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(Buffer.byteLength(text, 'utf8') / 3) + 8;
}
