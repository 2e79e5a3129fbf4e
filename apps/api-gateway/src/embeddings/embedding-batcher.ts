import { randomUUID } from 'node:crypto';
import type { EmbedTextsV1Payload, EmbeddingJobInput, Principal, StreamEvent } from '@llmp/contracts';
import { ApiError, ApiErrorCode } from '@llmp/platform';
import { JobHandle } from '../jobs/job-handle';

/**
 * How long a batch waits for more requests after its first one, while a job of the same key is already in flight
 * (an idle key sends at once, so a lone request pays no wait). A constant because the gateway's config is owned
 * elsewhere; 1 ms is about what one more request costs the gateway under load, and the worker's own batcher waits
 * `batch_wait_ms` (2 ms) on top.
 */
export const EMBEDDING_MERGE_WINDOW_MS = 1;

type EmbeddingsEvent = Extract<StreamEvent, { type: 'embeddings' }>;
type JobPayload = Omit<EmbedTextsV1Payload, 'replyTo'>;

export interface EmbeddingBatcherOptions {
  /** Submits one `embed.texts.v1` job (admission, enqueue); rejects with the admission's 429 when full. */
  submitJob: (principal: Principal, model: string, payload: JobPayload) => Promise<JobHandle>;
  /** Deadline (epoch ms) for a job submitted now. */
  deadline: () => number;
  windowMs?: number;
}

export interface MergeableRequest {
  principal: Principal;
  model: string;
  /** The `dimensions` the job asks for (absent: the model's own). */
  dimensions?: number;
  requestId: string;
  inputs: EmbeddingJobInput[];
  /** Most inputs one merged job may hold (the model's `batch_size`); a bigger request is not merged. */
  maxInputs: number;
}

interface Member {
  request: MergeableRequest;
  gone: AbortSignal;
  onGone: () => void;
  resolve: (handle: JobHandle) => void;
  reject: (err: unknown) => void;
}

interface Batch {
  key: string;
  members: Member[];
  inputs: number;
  maxInputs: number;
  timer: NodeJS.Timeout | null;
}

/**
 * The gateway's embedding micro-batcher: concurrent `POST /v1/embeddings` requests of the same user, model and
 * `dimensions` (everything in the job that affects vectors) become one `embed.texts.v1` job with `groups`, and its
 * result is split back. Each request keeps everything else of its own: auth, rate limit and token reservation
 * (taken before it gets here), its own `JobHandle` with its own id (so its own usage record), its own token count
 * and its own errors (the worker checks each group alone: an input over `max_tokens` fails only its request, with
 * the 400 it would get alone), and its own cancellation (a request that goes away leaves the batch; the shared job
 * is cancelled only when every member has gone).
 *
 * Admission counts a merged job once, against its user, exactly like one request of several inputs (admission
 * bounds jobs, not texts; a merged job holds at most `batch_size` texts, so the bound on queued work stays
 * `(served + max_queue) × batch_size` texts). A full queue answers 429 to every member of the batch, each of which
 * would have been refused alone too. Batches are per user so that the per-user share stays that user's.
 *
 * A batch is sent when it holds `maxInputs` inputs, or `windowMs` after its first request; a request for a key with
 * no job in flight is sent at once.
 */
export class EmbeddingBatcher {
  private readonly pending = new Map<string, Batch>();
  private readonly inflight = new Map<string, number>();
  private readonly windowMs: number;

  constructor(private readonly opts: EmbeddingBatcherOptions) {
    this.windowMs = opts.windowMs ?? EMBEDDING_MERGE_WINDOW_MS;
  }

  /** Whether `request` may share a job (else the caller submits it alone, as before). */
  static mergeable(request: Pick<MergeableRequest, 'inputs' | 'maxInputs'>): boolean {
    return request.inputs.length <= request.maxInputs;
  }

  /**
   * Resolves with this request's own handle once the shared job is enqueued: its only events are this request's
   * `embeddings` (its vectors, tokens and usage) or `error`. Rejects as a submission would (429 when the queue is
   * full), or with `request_cancelled` when `gone` fires before the batch is sent.
   */
  submit(request: MergeableRequest, gone: AbortSignal): Promise<JobHandle> {
    if (!EmbeddingBatcher.mergeable(request)) throw new Error('request too large to merge');
    if (gone.aborted) return Promise.reject(cancelledError());
    const key = JSON.stringify([request.principal.userId, request.model, request.dimensions ?? null]);
    return new Promise<JobHandle>((resolve, reject) => {
      let batch = this.pending.get(key);
      if (batch && batch.inputs + request.inputs.length > batch.maxInputs) {
        this.send(batch);
        batch = undefined;
      }
      if (!batch) {
        batch = { key, members: [], inputs: 0, maxInputs: request.maxInputs, timer: null };
        this.pending.set(key, batch);
      }
      const b = batch;
      const member: Member = { request, gone, resolve, reject, onGone: () => this.leavePending(b, member) };
      gone.addEventListener('abort', member.onGone, { once: true });
      b.members.push(member);
      b.inputs += request.inputs.length;
      if (b.inputs >= b.maxInputs || (this.inflight.get(key) ?? 0) === 0) this.send(b);
      else b.timer ??= setTimeout(() => this.send(b), this.windowMs);
    });
  }

  /** A request whose client went away before its batch was sent: it leaves the batch, which goes on without it. */
  private leavePending(batch: Batch, member: Member): void {
    const i = batch.members.indexOf(member);
    if (i < 0) return;
    batch.members.splice(i, 1);
    batch.inputs -= member.request.inputs.length;
    member.reject(cancelledError());
    if (batch.members.length === 0 && this.pending.get(batch.key) === batch) {
      if (batch.timer) clearTimeout(batch.timer);
      this.pending.delete(batch.key);
    }
  }

  private send(batch: Batch): void {
    if (batch.timer) clearTimeout(batch.timer);
    batch.timer = null;
    if (this.pending.get(batch.key) === batch) this.pending.delete(batch.key);
    const members = batch.members;
    for (const m of members) m.gone.removeEventListener('abort', m.onGone);
    if (members.length === 0) return;
    const first = members[0]!.request;
    const inputs = members.length === 1 ? first.inputs : members.flatMap((m) => m.request.inputs);
    const payload: JobPayload = {
      requestId: first.requestId,
      model: first.model,
      inputs,
      ...(first.dimensions === undefined ? {} : { dimensions: first.dimensions }),
      ...(members.length === 1 ? {} : { groups: members.map((m) => m.request.inputs.length) }),
    };
    this.inflight.set(batch.key, (this.inflight.get(batch.key) ?? 0) + 1);
    const deadline = this.opts.deadline();
    this.opts.submitJob(first.principal, first.model, payload).then(
      (shared) => void this.serve(batch.key, shared, members, deadline),
      (err: unknown) => {
        this.done(batch.key);
        for (const m of members) m.reject(err);
      },
    );
  }

  /** Hands each member its own handle, then splits the shared job's outcome among those still waiting. */
  private async serve(key: string, shared: JobHandle, members: Member[], deadline: number): Promise<void> {
    let live = members.length;
    const handles = members.map((m) => {
      const handle = new JobHandle(
        randomUUID(),
        shared.queueName,
        () => {
          // This client went away; its batch mates' work goes on. The last one to leave cancels the job.
          if (--live === 0 && !shared.done) shared.cancel();
        },
        () => undefined,
      );
      handle.queuedAhead = shared.queuedAhead;
      m.resolve(handle);
      return handle;
    });
    try {
      for (;;) {
        const ev = await shared.next(deadline);
        if (ev.type === 'embeddings') {
          splitResult(ev, members, handles);
          return;
        }
        const retrying = ev.type === 'error' && ev.retrying;
        handles.forEach((h) => h.push({ ...ev, jobId: h.jobId }));
        if (!retrying) return;
      }
    } finally {
      this.done(key);
    }
  }

  private done(key: string): void {
    const n = (this.inflight.get(key) ?? 1) - 1;
    if (n <= 0) this.inflight.delete(key);
    else this.inflight.set(key, n);
  }
}

/** Each member's own `embeddings` event (its rows, tokens and usage) or its group's error. */
function splitResult(ev: EmbeddingsEvent, members: Member[], handles: JobHandle[]): void {
  if (members.length === 1) {
    const h = handles[0]!;
    h.push({ ...ev, jobId: h.jobId });
    return;
  }
  const total = members.reduce((n, m) => n + m.request.inputs.length, 0);
  const bytes = Buffer.from(ev.vectors, 'base64');
  const rowBytes = ev.dims * 4;
  if (!ev.tokens || ev.tokens.length !== total || ev.count !== total || bytes.length !== total * rowBytes) {
    // A worker older than `groups` (no per-input tokens) or a malformed answer: nothing can be split safely.
    for (const h of handles) {
      h.push({
        type: 'error',
        jobId: h.jobId,
        code: 'worker_failed',
        message: 'The embedding worker answered a merged job without per-input token counts (upgrade the worker).',
        retrying: false,
      });
    }
    return;
  }
  const errors = new Map((ev.errors ?? []).map((e) => [e.group, e]));
  let start = 0;
  members.forEach((m, group) => {
    const h = handles[group]!;
    const n = m.request.inputs.length;
    const err = errors.get(group);
    if (err) {
      h.push({
        type: 'error',
        jobId: h.jobId,
        code: err.code,
        message: err.message,
        param: err.param,
        retrying: false,
      });
    } else {
      const tokens = ev.tokens!.slice(start, start + n);
      h.push({
        type: 'embeddings',
        jobId: h.jobId,
        vectors: bytes.subarray(start * rowBytes, (start + n) * rowBytes).toString('base64'),
        dims: ev.dims,
        count: n,
        promptTokens: tokens.reduce((a, b) => a + b, 0),
        tokens,
      });
    }
    start += n;
  });
}

function cancelledError(): ApiError {
  return new ApiError(ApiErrorCode.RequestCancelled, 'The request was cancelled');
}
