import type { TokenLogprob } from '@llmp/contracts';

export interface AlignedText {
  text: string;
  logprobs: TokenLogprob[];
}

/**
 * Lines token logprob entries up with the text that is really emitted. The stop-sequence filter emits a prefix of
 * the generated text, cut anywhere (it holds back what could become a stop string and drops everything from one
 * on); this releases text only at token boundaries, so every batch's text is exactly its entries' texts.
 * A token cut by a stop sequence keeps the part that was emitted: its entry's `token` and `bytes` are truncated
 * to that part (its logprob is the whole token's). Pure.
 */
export class LogprobAligner {
  private readonly queue: TokenLogprob[] = [];
  /** Emitted text not yet released: a prefix of the queued entries' texts. */
  private buffer = '';

  /** Entries of generated tokens, in order, before or after their text is emitted. */
  push(entries: readonly TokenLogprob[]): void {
    this.queue.push(...entries);
  }

  /** Feeds emitted text; returns the whole tokens it completes. */
  take(text: string): AlignedText {
    this.buffer += text;
    const out: AlignedText = { text: '', logprobs: [] };
    while (this.queue.length > 0 && this.queue[0]!.token.length <= this.buffer.length) {
      const entry = this.queue.shift()!;
      out.text += this.buffer.slice(0, entry.token.length);
      this.buffer = this.buffer.slice(entry.token.length);
      out.logprobs.push(entry);
    }
    return out;
  }

  /** Generation is over: the text still held belongs to a token cut short; entries after it were never emitted. */
  finish(): AlignedText {
    const out: AlignedText = { text: this.buffer, logprobs: [] };
    const cut = this.queue.shift();
    if (this.buffer && cut) {
      out.logprobs.push({ ...cut, token: this.buffer, bytes: [...Buffer.from(this.buffer, 'utf8')] });
    }
    this.buffer = '';
    this.queue.length = 0;
    return out;
  }
}
