import type { StreamEvent } from '@llmp/contracts';

/** The error code a reader gets when the job is cancelled while it waits (the client went away). */
export const JOB_CANCELLED = 'cancelled';

/**
 * The gateway's view of one queued job: the worker's events in arrival order, read with `next()`. Written by
 * hand because it is a few lines: an array plus one pending reader, no stream library needed.
 */
export class JobHandle {
  private readonly buffered: StreamEvent[] = [];
  private reader: ((ev: StreamEvent) => void) | null = null;
  private settled = false;
  private cancelled = false;
  /** The worker has taken the job (a `start`, or any later event, arrived). */
  started = false;
  /** The job ended with its result (`end` or `embeddings`), not an error or a cancel. */
  completed = false;
  lastEventAt = Date.now();
  /** Jobs waiting ahead of this one when it was admitted; -1: a slot was free. */
  queuedAhead = -1;

  constructor(
    readonly jobId: string,
    readonly queueName: string,
    private readonly onCancel: (handle: JobHandle) => void,
    private readonly onDone: (handle: JobHandle) => void,
  ) {}

  push(ev: StreamEvent): void {
    if (this.settled) return;
    this.lastEventAt = Date.now();
    if (ev.type !== 'error') this.started = true;
    if (ev.type === 'end' || ev.type === 'embeddings') this.completed = true;
    if (ev.type === 'end' || ev.type === 'embeddings' || (ev.type === 'error' && !ev.retrying)) this.finish();
    if (this.reader) {
      const r = this.reader;
      this.reader = null;
      r(ev);
    } else {
      this.buffered.push(ev);
    }
  }

  /** The next event, or a synthetic timeout error once `deadline` (epoch ms) has passed. */
  next(deadline: number): Promise<StreamEvent> {
    const ev = this.buffered.shift();
    if (ev) return Promise.resolve(ev);
    if (this.cancelled) return Promise.resolve(this.cancelledEvent());
    return new Promise((resolve) => {
      const timer = setTimeout(
        () => {
          this.reader = null;
          resolve({ type: 'error', jobId: this.jobId, code: 'timeout', message: 'The job timed out', retrying: false });
        },
        Math.max(0, deadline - Date.now()),
      );
      this.reader = (e) => {
        clearTimeout(timer);
        resolve(e);
      };
    });
  }

  /**
   * The client went away or gave up: stop the generation and forget the job. A reader still waiting gets a final
   * `cancelled` error at once, so the request ends now (its token reservation given back) instead of waiting for a
   * job that will never answer until the deadline.
   */
  cancel(): void {
    if (this.settled) return;
    this.cancelled = true;
    this.finish();
    this.onCancel(this);
    if (this.reader) {
      const r = this.reader;
      this.reader = null;
      r(this.cancelledEvent());
    }
  }

  private cancelledEvent(): StreamEvent {
    return {
      type: 'error',
      jobId: this.jobId,
      code: JOB_CANCELLED,
      message: 'The request was cancelled',
      retrying: false,
    };
  }

  get done(): boolean {
    return this.settled;
  }

  private finish(): void {
    this.settled = true;
    this.onDone(this);
  }
}
