import type { JobResult, StreamEvent } from '@llmp/contracts';
import { JobClientErrorCode, JobFailedError } from './job-errors';
import type { SubmittableJob } from './job-routes';

type Terminal = { ok: true; value: unknown } | { ok: false; error: JobFailedError };

/**
 * One submitted job. `events()` yields the worker's StreamEvents in arrival order (each iterator from the
 * first event, so several readers may watch the same job); `result()` resolves with the job's result or rejects
 * with a JobFailedError. A failed attempt that will be retried (`error` with `retrying: true`) is not an end:
 * the next attempt starts again with `start`.
 */
export class SubmittedJob<N extends SubmittableJob = SubmittableJob> {
  private readonly log: StreamEvent[] = [];
  private readonly waiters = new Set<() => void>();
  private terminal: Terminal | null = null;
  private readonly settledPromise: Promise<JobResult<N>>;
  private resolve!: (v: JobResult<N>) => void;
  private reject!: (e: JobFailedError) => void;

  constructor(
    readonly jobId: string,
    readonly queueName: string,
    readonly name: N,
    private readonly onCancel: (job: SubmittedJob<N>) => void,
    private readonly onDone: (job: SubmittedJob<N>) => void,
  ) {
    this.settledPromise = new Promise<JobResult<N>>((res, rej) => {
      this.resolve = res;
      this.reject = rej;
    });
    // Nobody may ever ask for the result (a caller that only streams): no unhandled rejection then.
    this.settledPromise.catch(() => undefined);
  }

  /** Whether the job has ended (result, final error, cancel or timeout). */
  get done(): boolean {
    return this.terminal !== null;
  }

  /** The job's result; rejects with JobFailedError. `timeoutMs` bounds the wait (the job is then cancelled). */
  result(opts: { timeoutMs?: number } = {}): Promise<JobResult<N>> {
    if (opts.timeoutMs === undefined || this.done) return this.settledPromise;
    const timer = setTimeout(() => {
      this.onCancel(this);
      this.fail(JobClientErrorCode.Timeout, `The job ${this.jobId} did not finish within ${opts.timeoutMs} ms`);
    }, opts.timeoutMs);
    timer.unref?.();
    return this.settledPromise.finally(() => clearTimeout(timer));
  }

  /** The worker's events as they arrive; ends after the terminal event (or when the job is cancelled). */
  async *events(): AsyncGenerator<StreamEvent, void, undefined> {
    let i = 0;
    for (;;) {
      while (i < this.log.length) yield this.log[i++]!;
      if (this.terminal) return;
      await new Promise<void>((r) => this.waiters.add(r));
    }
  }

  /** Stops the job: removed if still waiting, told to stop through the cancel channel if a worker has it. */
  cancel(): void {
    if (this.done) return;
    this.onCancel(this);
    this.fail(JobClientErrorCode.Cancelled, `The job ${this.jobId} was cancelled`);
  }

  /** A worker event for this job (called by the client's reply subscriber). */
  push(ev: StreamEvent): void {
    if (this.done) return;
    this.log.push(ev);
    if (ev.type === 'end') {
      const { type: _t, jobId: _j, ...result } = ev;
      this.settle({ ok: true, value: result });
    } else if (ev.type === 'embeddings') {
      const { type: _t, jobId: _j, ...result } = ev;
      this.settle({ ok: true, value: result });
    } else if (ev.type === 'error' && !ev.retrying) {
      this.settle({ ok: false, error: new JobFailedError(this.jobId, ev.code, ev.message, ev.param ?? null) });
    }
    this.wake();
  }

  /** BullMQ's return value, for jobs without a reply channel. */
  complete(value: JobResult<N>): void {
    if (this.done) return;
    this.settle({ ok: true, value });
    this.wake();
  }

  fail(code: string, message: string): void {
    if (this.done) return;
    this.settle({ ok: false, error: new JobFailedError(this.jobId, code, message) });
    this.wake();
  }

  private settle(t: Terminal): void {
    this.terminal = t;
    if (t.ok) this.resolve(t.value as JobResult<N>);
    else this.reject(t.error);
    this.onDone(this);
  }

  private wake(): void {
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const w of waiters) w();
  }
}
