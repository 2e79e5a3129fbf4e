import { InferenceErrorCode, type StreamEvent } from '@llmp/contracts';

/** The error code a reader gets when the job is cancelled while it waits (the client went away). */
export const JOB_CANCELLED = 'cancelled';

/** How a stream ends when its worker died and the retry cannot carry on from what the client already has. */
export const CONTINUATION_FAILED = 'The worker serving this request failed mid-generation';

/**
 * The gateway's view of one queued job: the worker's events in arrival order, read with `next()`. Written by
 * hand because it is a few lines: an array plus one pending reader, no stream library needed.
 *
 * It also makes a worker's death mid-stream invisible where it can: the job is retried (BullMQ finds it stalled
 * within JOB_LOCK_MS and a quarter, or a draining worker hands it back) with the same payload and seed, so the new
 * attempt normally regenerates the same tokens. Its text is checked against what was already delivered and
 * dropped up to there; what follows is delivered as if nothing happened. A retry that diverges, or a stream that
 * already carried tool-call fragments or logprobs (not replayed), ends with a terminal `worker_failed` error. Events
 * of a superseded attempt (a worker that lost its lock but still runs) are dropped by their `attempt`.
 */
export class JobHandle {
  private readonly buffered: StreamEvent[] = [];
  private reader: ((ev: StreamEvent) => void) | null = null;
  private settled = false;
  private cancelled = false;
  /** The attempt whose events are delivered (the latest `start`'s). */
  private attempt = -1;
  /** The text of every delta delivered so far: what the client may already have. */
  private delivered = '';
  /** Why a retry could not continue what was delivered; null while it could. */
  private unreplayable: string | null = null;
  /** While a retry replays the delivered text: how much of it has been reproduced. */
  private replayed: number | null = null;
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

  push(event: StreamEvent): void {
    if (this.settled) return;
    this.lastEventAt = Date.now();
    const ev = this.continuation(event);
    if (!ev) return;
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

  /**
   * The worker of a started job stopped renewing its lock (BullMQ's `stalled`): the job goes back to the queue. A
   * stream whose output cannot be replayed ends now rather than when the retry starts.
   */
  stalled(): void {
    if (!this.settled && this.unreplayable)
      this.abandon(`${CONTINUATION_FAILED} (its ${this.unreplayable} cannot be replayed)`);
  }

  /** What to deliver of a worker event, given what was delivered before; null: nothing. */
  private continuation(ev: StreamEvent): StreamEvent | null {
    const attempt = ev.attempt;
    if (attempt !== undefined && attempt < this.attempt) return null;
    const hasOutput = this.delivered.length > 0 || this.unreplayable !== null;
    if (ev.type === 'start') {
      this.attempt = Math.max(this.attempt, ev.attempt);
      if (!hasOutput) return ev;
      if (this.unreplayable)
        return this.abandon(`${CONTINUATION_FAILED} (its ${this.unreplayable} cannot be replayed)`);
      // A retry: the client has its opening already; check the new attempt's text against the delivered one.
      this.replayed = 0;
      return null;
    }
    // The retry that follows continues the stream; nothing to tell the reader.
    if (ev.type === 'error' && ev.retrying && hasOutput && !this.unreplayable) return null;
    if (this.replayed !== null) {
      if (ev.type === 'delta') {
        const rest = this.replay(ev.text);
        if (rest === null) return this.abandon(`${CONTINUATION_FAILED} (its retry diverged from the text sent)`);
        if (!rest) return null;
        ev = { ...ev, text: rest };
      } else if (ev.type === 'tool_call' || ev.type === 'end') {
        if (this.replayed < this.delivered.length) {
          return this.abandon(`${CONTINUATION_FAILED} (its retry diverged from the text sent)`);
        }
        this.replayed = null;
      }
    }
    if (ev.type === 'delta') {
      this.delivered += ev.text;
      if (ev.logprobs?.length) this.unreplayable ??= 'logprobs';
    }
    if (ev.type === 'tool_call') this.unreplayable ??= 'function call';
    return ev;
  }

  /** The part of a retry's delta beyond the delivered text; '' while still inside it; null: it differs. */
  private replay(text: string): string | null {
    const at = this.replayed!;
    const left = this.delivered.length - at;
    if (text.length <= left) {
      if (this.delivered.slice(at, at + text.length) !== text) return null;
      this.replayed = at + text.length;
      if (this.replayed === this.delivered.length) this.replayed = null;
      return '';
    }
    if (text.slice(0, left) !== this.delivered.slice(at)) return null;
    this.replayed = null;
    return text.slice(left);
  }

  /** Ends the job for its reader with a terminal error and stops the retry that runs for nobody. */
  private abandon(message: string): null {
    this.push({
      type: 'error',
      jobId: this.jobId,
      attempt: this.attempt,
      code: InferenceErrorCode.WorkerFailed,
      message,
      retrying: false,
    });
    this.onCancel(this);
    return null;
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
