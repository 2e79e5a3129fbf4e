import { Queue, QueueEvents, type Telemetry } from 'bullmq';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { DEFAULT_QUEUE_PREFIX, JOBS, JobResult, StreamEventSchema, cancelChannel, replyChannel } from '@llmp/contracts';
import { JobClientErrorCode } from './job-errors';
import { JOB_ROUTES, MAX_PRIORITY, ReplyJob, SubmitPayload, SubmittableJob } from './job-routes';
import { SubmittedJob } from './submitted-job';

export interface JobClientOptions {
  /** An ioredis connection (the client duplicates it for its subscriptions and never closes it) or a Redis URL. */
  connection: Redis | string;
  /** The deployment's queue prefix (QUEUE_PREFIX); default `llmp`. */
  prefix?: string;
  /** Names this client's reply channel (`<prefix>:reply:<instanceId>`); default a random id. */
  instanceId?: string;
  /**
   * BullMQ telemetry (e.g. `new BullMQOtel('llmp')` from bullmq-otel): jobs then carry the caller's trace context
   * to the worker, as the gateway's own jobs do. Default none.
   */
  telemetry?: Telemetry;
}

export interface SubmitOptions {
  /**
   * BullMQ priority, 1 (highest) to 2,097,152. Jobs without one (every interactive request of the gateway) are
   * always taken before prioritized jobs, so background work given a priority never delays them.
   */
  priority?: number;
  /** A deterministic job id: submitting the same id again while the job exists adds nothing. */
  jobId?: string;
  /** Attempts (a worker that dies mid-job is retried); default from the job's route. */
  attempts?: number;
  /** Cancels the job when it fires. */
  signal?: AbortSignal;
}

/**
 * Submits jobs straight onto the platform's queues, typed by the queue contract: `submit(name, payload)` where the
 * payload type follows from the name, validated with the contract's zod schema before anything is enqueued. Plain
 * TypeScript (BullMQ and ioredis, no NestJS), for internal services and scripts.
 *
 * Generation and embedding jobs answer on this client's reply channel, exactly as they answer the gateway: the
 * client subscribes once to `<prefix>:reply:<instanceId>` and routes each StreamEvent to its job by id. Jobs
 * without a reply channel (`rag.ingest.v1`) resolve with BullMQ's return value. A job that BullMQ fails for good
 * without a worker event (its worker died on the last attempt) is reported through the queue's events.
 */
export class JobClient {
  readonly prefix: string;
  readonly replyChannel: string;
  private readonly commands: Redis;
  private readonly ownsCommands: boolean;
  private readonly subscriber: Redis;
  /** Connections this client made itself (BullMQ's QueueEvents duplicates what it is given and closes only that). */
  private readonly owned: Redis[] = [];
  private subscribed: Promise<unknown> | null = null;
  private readonly queues = new Map<string, Queue>();
  private readonly queueEvents = new Map<string, Promise<QueueEvents>>();
  private readonly inflight = new Map<string, SubmittedJob>();
  private closed = false;
  private readonly telemetry: Telemetry | undefined;

  constructor(opts: JobClientOptions) {
    this.prefix = opts.prefix ?? DEFAULT_QUEUE_PREFIX;
    this.telemetry = opts.telemetry;
    this.replyChannel = replyChannel(this.prefix, opts.instanceId ?? `job-client-${randomUUID()}`);
    this.ownsCommands = typeof opts.connection === 'string';
    this.commands =
      typeof opts.connection === 'string'
        ? new Redis(opts.connection, { maxRetriesPerRequest: null, connectionName: 'job-client' })
        : opts.connection;
    this.subscriber = this.duplicate('job-client-replies');
    this.subscriber.on('message', (_channel: string, message: string) => this.dispatch(message));
  }

  /** Jobs submitted by this client that have not ended yet. */
  get inflightCount(): number {
    return this.inflight.size;
  }

  async submit<N extends SubmittableJob>(
    name: N,
    payload: SubmitPayload<N>,
    opts: SubmitOptions = {},
  ): Promise<SubmittedJob<N>> {
    if (this.closed) throw new Error('The job client is closed');
    if (opts.priority !== undefined && !(Number.isInteger(opts.priority) && opts.priority >= 1)) {
      throw new RangeError(`priority must be an integer from 1 to ${MAX_PRIORITY}`);
    }
    if (opts.priority !== undefined && opts.priority > MAX_PRIORITY) {
      throw new RangeError(`priority must be an integer from 1 to ${MAX_PRIORITY}`);
    }
    const route = JOB_ROUTES[name] as unknown as (typeof JOB_ROUTES)[SubmittableJob] & {
      queue(p: unknown): string;
      jobId?(p: unknown): string;
    };
    const data = route.reply ? { ...payload, replyTo: { channel: this.replyChannel } } : payload;
    // Validated (and defaults applied) before it leaves the process: a bad payload throws a ZodError here.
    const parsed = JOBS[name].payload.parse(data) as Record<string, unknown>;
    const queueName = route.queue(parsed);
    const jobId = opts.jobId ?? route.jobId?.(parsed) ?? randomUUID();
    const job = new SubmittedJob<N>(
      jobId,
      queueName,
      name,
      (j) => this.cancelJob(j.queueName, j.jobId),
      (j) => {
        if (this.inflight.get(j.jobId) === (j as unknown as SubmittedJob)) this.inflight.delete(j.jobId);
      },
    );
    // Listening before the job exists, so not even its first event (or an instant failure) can be missed.
    if (route.reply) {
      this.subscribed ??= this.subscriber.subscribe(this.replyChannel);
      await this.subscribed;
    }
    await this.events(queueName);
    this.inflight.set(jobId, job as unknown as SubmittedJob);
    try {
      await this.queue(queueName).add(name, parsed, {
        jobId,
        attempts: opts.attempts ?? route.attempts,
        ...(opts.priority !== undefined ? { priority: opts.priority } : {}),
        removeOnComplete: route.removeOnComplete,
        removeOnFail: route.removeOnFail,
      });
    } catch (err) {
      this.inflight.delete(jobId);
      throw err;
    }
    if (opts.signal) {
      if (opts.signal.aborted) job.cancel();
      else opts.signal.addEventListener('abort', () => job.cancel(), { once: true });
    }
    return job;
  }

  /** Cancels a job by id (also one submitted by another process): removed if waiting, stopped if running. */
  async cancel(queueName: string, jobId: string): Promise<void> {
    await this.commands.publish(cancelChannel(this.prefix), jobId);
    await this.queue(queueName)
      .remove(jobId)
      .catch(() => 0);
    this.inflight.get(jobId)?.fail(JobClientErrorCode.Cancelled, `The job ${jobId} was cancelled`);
  }

  /** Closes the client's own connections; jobs still in flight end with `client_closed`. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const job of [...this.inflight.values()]) job.fail(JobClientErrorCode.Closed, 'The job client was closed');
    const events = await Promise.all([...this.queueEvents.values()].map((p) => p.catch(() => null)));
    await Promise.all(events.map((e) => e?.close()));
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    for (const conn of this.owned) conn.disconnect();
    if (this.ownsCommands) await this.commands.quit().catch(() => this.commands.disconnect());
  }

  private queue(queueName: string): Queue {
    let q = this.queues.get(queueName);
    if (!q) {
      q = new Queue(queueName, { connection: this.commands, prefix: this.prefix, telemetry: this.telemetry });
      this.queues.set(queueName, q);
    }
    return q;
  }

  /** The queue's events (one blocking connection per queue this client has used), ready before a job is added. */
  private events(queueName: string): Promise<QueueEvents> {
    let p = this.queueEvents.get(queueName);
    if (!p) {
      const events = new QueueEvents(queueName, {
        connection: this.duplicate(`job-client-events`),
        prefix: this.prefix,
      });
      events.on('completed', ({ jobId, returnvalue }) => this.completed(jobId, returnvalue));
      events.on('failed', ({ jobId, failedReason }) => this.failed(jobId, failedReason));
      events.on('error', () => undefined);
      p = events.waitUntilReady().then(() => events);
      this.queueEvents.set(queueName, p);
    }
    return p;
  }

  private duplicate(name: string): Redis {
    const conn = this.commands.duplicate({ maxRetriesPerRequest: null, connectionName: name });
    conn.on('error', () => undefined);
    this.owned.push(conn);
    return conn;
  }

  private dispatch(message: string): void {
    let raw: unknown;
    try {
      raw = JSON.parse(message);
    } catch {
      return;
    }
    const jobId = (raw as { jobId?: unknown } | null)?.jobId;
    if (typeof jobId !== 'string' || !this.inflight.has(jobId)) return;
    const parsed = StreamEventSchema.safeParse(raw);
    if (parsed.success) this.inflight.get(jobId)?.push(parsed.data);
  }

  /** Jobs without a reply channel end with BullMQ's return value, parsed with the contract's result schema. */
  private completed(jobId: string, returnvalue: unknown): void {
    const job = this.inflight.get(jobId);
    if (!job || JOB_ROUTES[job.name].reply) return;
    const value = typeof returnvalue === 'string' ? safeJson(returnvalue) : returnvalue;
    const parsed = JOBS[job.name].result.safeParse(value);
    if (parsed.success) job.complete(parsed.data as JobResult<typeof job.name>);
    else job.fail(JobClientErrorCode.Failed, `The job ${jobId} returned a result outside its contract`);
  }

  /**
   * A job failed for good. A reply job's worker publishes its error before failing the job; this covers a worker
   * that died on its last attempt. The short grace lets the worker's own event (on another connection) win.
   */
  private failed(jobId: string, reason: string): void {
    const job = this.inflight.get(jobId);
    if (!job) return;
    const delay = JOB_ROUTES[job.name].reply ? 200 : 0;
    setTimeout(() => job.fail(JobClientErrorCode.Failed, `The job failed: ${reason}`), delay).unref();
  }

  private cancelJob(queueName: string, jobId: string): void {
    this.commands.publish(cancelChannel(this.prefix), jobId).catch(() => undefined);
    // A job still waiting is removed outright; an active one is locked and stops through the cancel message.
    this.queue(queueName)
      .remove(jobId)
      .catch(() => undefined);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export type { ReplyJob };
