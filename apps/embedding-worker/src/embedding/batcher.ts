export interface BatcherOptions {
  /** Most items in one call of the runner; bigger submissions are split. */
  maxBatchSize: number;
  /**
   * How long the oldest waiting item may wait for others to join its batch before the batch runs anyway. 0: the
   * batch takes what was submitted in the same event-loop turn.
   */
  maxWaitMs: number;
}

/** What one runner call did, for metrics. */
export interface BatchStats {
  /** Items in the batch. */
  size: number;
  /** Submissions the batch served (partly or wholly). */
  submissions: number;
  /** How long its oldest item waited in the batcher before the call. */
  waitedMs: number;
  /** How long the runner took. */
  runMs: number;
  failed: boolean;
}

interface Submission<O> {
  results: O[];
  remaining: number;
  failed: boolean;
  resolve: (results: O[]) => void;
  reject: (err: unknown) => void;
}

interface Entry<I, O> {
  item: I;
  index: number;
  submission: Submission<O>;
  queuedAt: number;
}

/**
 * Dynamic batching: items submitted by concurrent callers are gathered for up to `maxWaitMs` (or until
 * `maxBatchSize` are waiting) and run as one call; each caller gets back its own results, in its own order. One
 * call runs at a time (the model uses the cores; overlapping calls would only compete): what arrives meanwhile
 * forms the next batch, which runs as soon as the call ends if its oldest item has waited long enough. Items are
 * taken first in, first out, so a large submission is split into `maxBatchSize` chunks that other callers' items
 * can share. If a call fails, every submission with an item in it fails with that error and its other items are
 * dropped. Pure: no I/O, only timers.
 */
export class Batcher<I, O> {
  private readonly queue: Entry<I, O>[] = [];
  private running = false;
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;

  constructor(
    private readonly runner: (items: I[]) => Promise<O[]>,
    private readonly opts: BatcherOptions,
    private readonly onBatch?: (stats: BatchStats) => void,
  ) {
    if (!(opts.maxBatchSize >= 1)) throw new Error('maxBatchSize must be at least 1');
    if (!(opts.maxWaitMs >= 0)) throw new Error('maxWaitMs must be 0 or more');
  }

  /** Items waiting for a batch (not counting the one running). */
  get waiting(): number {
    return this.queue.length;
  }

  submit(items: readonly I[]): Promise<O[]> {
    if (items.length === 0) return Promise.resolve([]);
    return new Promise<O[]>((resolve, reject) => {
      const submission: Submission<O> = {
        results: new Array<O>(items.length),
        remaining: items.length,
        failed: false,
        resolve,
        reject,
      };
      const queuedAt = performance.now();
      items.forEach((item, index) => this.queue.push({ item, index, submission, queuedAt }));
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.running || this.queue.length === 0) return;
    if (this.queue.length >= this.opts.maxBatchSize) return this.runNext();
    if (this.timer || this.immediate) return;
    const delay = this.opts.maxWaitMs - (performance.now() - this.queue[0]!.queuedAt);
    if (this.opts.maxWaitMs === 0) {
      this.immediate = setImmediate(() => {
        this.immediate = null;
        this.runNext();
      });
    } else if (delay <= 0) {
      this.runNext();
    } else {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.runNext();
      }, delay);
    }
  }

  private runNext(): void {
    if (this.running) return;
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
    const batch: Entry<I, O>[] = [];
    while (batch.length < this.opts.maxBatchSize && this.queue.length > 0) {
      const entry = this.queue.shift()!;
      if (!entry.submission.failed) batch.push(entry);
    }
    if (batch.length === 0) return;
    this.running = true;
    void this.execute(batch);
  }

  private async execute(batch: Entry<I, O>[]): Promise<void> {
    const started = performance.now();
    let failed = false;
    try {
      const out = await this.runner(batch.map((e) => e.item));
      if (out.length !== batch.length) throw new Error(`batch of ${batch.length} returned ${out.length} results`);
      batch.forEach((e, i) => {
        const s = e.submission;
        if (s.failed) return;
        s.results[e.index] = out[i]!;
        if (--s.remaining === 0) s.resolve(s.results);
      });
    } catch (err) {
      failed = true;
      for (const { submission } of batch) {
        if (submission.failed) continue;
        submission.failed = true;
        submission.reject(err);
      }
    } finally {
      this.running = false;
      const stats: BatchStats = {
        size: batch.length,
        submissions: new Set(batch.map((e) => e.submission)).size,
        waitedMs: started - batch[0]!.queuedAt,
        runMs: performance.now() - started,
        failed,
      };
      try {
        this.onBatch?.(stats);
      } finally {
        this.schedule();
      }
    }
  }
}
