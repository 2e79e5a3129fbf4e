/**
 * Finds stop sequences in streamed text and holds back the tail that could still become one, so a stop string is
 * never emitted, even when it spans token boundaries. Written by hand because node-llama-cpp 3.22's
 * LlamaCompletion matches stop strings against tokens detokenized one by one, losing leading spaces (a stop
 * string with a space never fired); one filter now serves chat and completions alike.
 */
export class StopSequenceFilter {
  private held = '';
  private stoppedAt = false;
  private matchedStop: string | null = null;
  private readonly longest: number;

  constructor(private readonly stops: readonly string[]) {
    this.longest = Math.max(0, ...stops.map((s) => s.length));
  }

  get stopped(): boolean {
    return this.stoppedAt;
  }

  /** The stop sequence found (the one that starts first; of those, the first given), once stopped. */
  get matched(): string | null {
    return this.matchedStop;
  }

  /** Feeds generated text; returns the part that is safe to emit now. */
  push(text: string): string {
    if (this.stoppedAt) return '';
    if (this.stops.length === 0) return text;
    const buffer = this.held + text;
    let cut = -1;
    for (const stop of this.stops) {
      const at = buffer.indexOf(stop);
      if (at !== -1 && (cut === -1 || at < cut)) {
        cut = at;
        this.matchedStop = stop;
      }
    }
    if (cut !== -1) {
      this.stoppedAt = true;
      this.held = '';
      return buffer.slice(0, cut);
    }
    // Hold back the longest suffix that is a prefix of some stop string.
    const keep = this.partialMatchLength(buffer);
    this.held = buffer.slice(buffer.length - keep);
    return buffer.slice(0, buffer.length - keep);
  }

  /** Text still held back when generation ends without a stop (it was not a stop string after all). */
  flush(): string {
    const rest = this.stoppedAt ? '' : this.held;
    this.held = '';
    return rest;
  }

  private partialMatchLength(buffer: string): number {
    const max = Math.min(this.longest - 1, buffer.length);
    for (let len = max; len > 0; len--) {
      const tail = buffer.slice(buffer.length - len);
      if (this.stops.some((s) => s.startsWith(tail))) return len;
    }
    return 0;
  }
}
