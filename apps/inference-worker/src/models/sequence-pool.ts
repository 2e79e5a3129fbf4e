import type { LlamaContext, LlamaContextSequence } from 'node-llama-cpp';

/**
 * Hands out context sequences for generation. Finished sequences are disposed in the background instead of being
 * cleared and reused: node-llama-cpp releases a sequence under a context-wide lock that its batch loop holds while
 * other sequences decode, so a reuse would stall the next request until the whole batch drains. The context is
 * created with spare sequences (`sequence_headroom`), so a fresh one is normally free at once.
 */
export class SequencePool {
  private readonly waiters: (() => void)[] = [];

  constructor(private readonly context: LlamaContext) {}

  async acquire(): Promise<LlamaContextSequence> {
    while (this.context.sequencesLeft === 0) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    return this.context.getSequence();
  }

  release(sequence: LlamaContextSequence): void {
    void sequence
      .dispose()
      .catch(() => undefined)
      .finally(() => this.waiters.shift()?.());
  }
}
