import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { QueueEvents } from 'bullmq';
import {
  InferenceErrorCode,
  StreamEventSchema,
  embeddingQueueName,
  inferenceQueueName,
  replyChannel,
} from '@llmp/contracts';
import { ReadinessRegistry, RedisFactory, platformConfig } from '@llmp/platform';
import { gatewayConfig } from '../config/gateway.config';
import type { JobHandle } from './job-handle';

const FAILED_EVENT_GRACE_MS = 200;
/** How often in-flight jobs are checked for existence. */
const WATCH_INTERVAL_MS = 1000;
/** A started job is checked only once it has been quiet this long (a generating job proves itself by its events). */
const QUIET_MS = 10_000;
/** The error code of a job that no longer exists in Redis (Redis restarted without persistence, or unreachable). */
export const JOB_LOST = 'job_lost';

/**
 * Routes worker events to in-flight requests. Each gateway replica subscribes once, at start, to its own reply
 * channel; workers publish every event of a job there, tagged with the job id. No per-request subscribe, so a
 * request pays no Redis round trip for its reply path. BullMQ's queue events cover what a worker cannot report
 * itself: a job whose worker died (`stalled`), and one that failed for good after that.
 */
@Injectable()
export class ReplyHub implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(ReplyHub.name);
  private readonly inflight = new Map<string, JobHandle>();
  private readonly queueEvents: QueueEvents[] = [];
  private readonly missing = new Map<string, number>();
  private redisDownSince: number | null = null;
  private watchdog: NodeJS.Timeout | undefined;
  readonly channel: string;

  constructor(
    private readonly redis: RedisFactory,
    private readonly readiness: ReadinessRegistry,
    @Inject(platformConfig.KEY) private readonly platform: ConfigType<typeof platformConfig>,
    @Inject(gatewayConfig.KEY) private readonly cfg: ConfigType<typeof gatewayConfig>,
  ) {
    this.channel = replyChannel(platform.queuePrefix, platform.instanceId);
  }

  async onModuleInit(): Promise<void> {
    const sub = this.redis.create('reply-subscriber');
    sub.on('message', (_channel: string, message: string) => this.dispatch(message));
    await sub.subscribe(this.channel);
    this.readiness.register('reply-channel', async () => {
      if (sub.status !== 'ready') throw new Error(`reply subscriber is ${sub.status}`);
    });
    for (const model of this.cfg.models) {
      if (model.kind === 'remote') continue; // no queue: the gateway calls it
      const queue = model.kind === 'embedding' ? embeddingQueueName(model.id) : inferenceQueueName(model.id);
      const events = new QueueEvents(queue, {
        connection: this.redis.create(`queue-events-${model.id}`),
        prefix: this.platform.queuePrefix,
      });
      events.on('failed', ({ jobId, failedReason }) => this.failed(jobId, failedReason));
      // A started job's worker died (or froze): its stream may end now instead of at the retry (JobHandle.stalled).
      events.on('stalled', ({ jobId }) => this.inflight.get(jobId)?.stalled());
      events.on('error', (err) => this.logger.warn(`queue events ${model.id}: ${err.message}`));
      this.queueEvents.push(events);
    }
    this.watchdog = setInterval(() => void this.watch(), WATCH_INTERVAL_MS).unref();
  }

  /**
   * Finds jobs this replica waits on that no longer exist: Redis restarted without persistence (the queued jobs
   * vanished with it) or has been unreachable for longer than REDIS_OUTAGE_FAIL_MS. Their clients get a 503 with
   * Retry-After within seconds instead of waiting for JOB_TIMEOUT_MS. A job must be missing on two checks in a row,
   * so a job removed just after its last event was published is never mistaken for a lost one.
   */
  private async watch(): Promise<void> {
    const now = Date.now();
    const suspects = [...this.inflight.values()].filter((h) => !h.started || now - h.lastEventAt > QUIET_MS);
    if (suspects.length === 0) {
      this.redisDownSince = null;
      return;
    }
    const pipeline = this.redis.requestClient().pipeline();
    for (const h of suspects) pipeline.exists(`${this.platform.queuePrefix}:${h.queueName}:${h.jobId}`);
    let results: [Error | null, unknown][] | null;
    try {
      results = await pipeline.exec();
    } catch {
      results = null;
    }
    if (!results || results.some(([err]) => err)) {
      this.redisDownSince ??= now;
      if (now - this.redisDownSince < this.cfg.redisOutageFailMs) return;
      for (const h of suspects) if (!h.started) this.lose(h, 'The queue store (Redis) is unreachable.');
      return;
    }
    this.redisDownSince = null;
    suspects.forEach((h, i) => {
      if (results![i]![1] === 1) {
        this.missing.delete(h.jobId);
        return;
      }
      const times = (this.missing.get(h.jobId) ?? 0) + 1;
      this.missing.set(h.jobId, times);
      if (times >= 2) this.lose(h, 'The job was lost: the queue store (Redis) restarted.');
    });
  }

  private lose(h: JobHandle, message: string): void {
    this.missing.delete(h.jobId);
    h.push({ type: 'error', jobId: h.jobId, code: JOB_LOST, message: `${message} Please retry.`, retrying: false });
  }

  register(handle: JobHandle): void {
    this.inflight.set(handle.jobId, handle);
  }

  forget(handle: JobHandle): void {
    this.inflight.delete(handle.jobId);
    this.missing.delete(handle.jobId);
  }

  get inflightCount(): number {
    return this.inflight.size;
  }

  private dispatch(message: string): void {
    let raw: unknown;
    try {
      raw = JSON.parse(message);
    } catch {
      raw = undefined;
    }
    // Messages for jobs nobody here waits on any more (a cancelled stream's tail) are dropped unvalidated.
    const jobId = (raw as { jobId?: unknown } | undefined)?.jobId;
    if (typeof jobId === 'string' && !this.inflight.has(jobId)) return;
    const parsed = StreamEventSchema.safeParse(raw);
    if (!parsed.success) {
      this.logger.warn(`dropping malformed reply message: ${message.slice(0, 200)}`);
      return;
    }
    this.inflight.get(parsed.data.jobId)?.push(parsed.data);
  }

  private failed(jobId: string, reason: string): void {
    // Worker-reported failures normally reach the handle first (the worker publishes before failing the job);
    // this catches jobs whose worker died for good. The grace period covers the two connections' race.
    if (!this.inflight.has(jobId)) return;
    setTimeout(
      () =>
        this.inflight.get(jobId)?.push({
          type: 'error',
          jobId,
          code: InferenceErrorCode.WorkerFailed,
          message: `The job failed: ${reason}`,
          retrying: false,
        }),
      FAILED_EVENT_GRACE_MS,
    ).unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.watchdog);
    await Promise.all(this.queueEvents.map((e) => e.close()));
  }
}
