export interface CoalescerOptions {
  /** How long the first item of a batch waits for others before the batch is flushed anyway. */
  windowMs: number;
  /** A batch is flushed at once when it holds this many items. */
  maxItems: number;
}

/**
 * Gathers items pushed one at a time into batches: a batch is flushed `windowMs` after its first item, or at once
 * when it reaches `maxItems`, whichever comes first. `close()` flushes what is waiting and resolves once every flush
 * has ended; after it, each item is flushed on its own at once (nothing pushed late is held back). Several flushes
 * may run at the same time. `flush` must not throw: it handles its own failures (a rejection is swallowed here).
 * Pure: no I/O, only a timer.
 */
export class Coalescer<T> {
  private items: T[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly flush: (items: T[]) => Promise<void>,
    private readonly opts: CoalescerOptions,
  ) {
    if (!(opts.maxItems >= 1)) throw new Error('maxItems must be at least 1');
    if (!(opts.windowMs >= 0)) throw new Error('windowMs must be 0 or more');
  }

  /** Items waiting for their batch to be flushed. */
  get waiting(): number {
    return this.items.length;
  }

  push(item: T): void {
    this.items.push(item);
    if (this.closed || this.items.length >= this.opts.maxItems) {
      this.flushNow();
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.flushNow();
      }, this.opts.windowMs);
    }
  }

  /** Flushes what is waiting now, without waiting for the window, and resolves once every flush has ended. */
  async drain(): Promise<void> {
    this.flushNow();
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  /** Flushes what is waiting; items pushed afterwards are flushed at once, one by one. */
  async close(): Promise<void> {
    this.closed = true;
    await this.drain();
  }

  private flushNow(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.items.length === 0) return;
    const batch = this.items;
    this.items = [];
    const running = (async () => {
      try {
        await this.flush(batch);
      } catch {
        // `flush` reports its own failures; one that throws anyway must not break the pusher or later batches.
      }
    })().finally(() => this.inFlight.delete(running));
    this.inFlight.add(running);
  }
}
