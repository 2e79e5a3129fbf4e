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

/**
 * Routes worker events to in-flight requests. Each gateway replica subscribes once, at start, to its own reply
 * channel; workers publish every event of a job there, tagged with the job id. No per-request subscribe, so a
 * request pays no Redis round trip for its reply path. BullMQ's queue events cover the one case a worker cannot
 * report itself: a job that failed for good after its worker died.
 */
@Injectable()
export class ReplyHub implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(ReplyHub.name);
  private readonly inflight = new Map<string, JobHandle>();
  private readonly queueEvents: QueueEvents[] = [];
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
      const queue = model.kind === 'embedding' ? embeddingQueueName(model.id) : inferenceQueueName(model.id);
      const events = new QueueEvents(queue, {
        connection: this.redis.create(`queue-events-${model.id}`),
        prefix: this.platform.queuePrefix,
      });
      events.on('failed', ({ jobId, failedReason }) => this.failed(jobId, failedReason));
      events.on('error', (err) => this.logger.warn(`queue events ${model.id}: ${err.message}`));
      this.queueEvents.push(events);
    }
  }

  register(handle: JobHandle): void {
    this.inflight.set(handle.jobId, handle);
  }

  forget(handle: JobHandle): void {
    this.inflight.delete(handle.jobId);
  }

  get inflightCount(): number {
    return this.inflight.size;
  }

  private dispatch(message: string): void {
    let parsed;
    try {
      parsed = StreamEventSchema.safeParse(JSON.parse(message));
    } catch {
      parsed = null;
    }
    if (!parsed?.success) {
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
    await Promise.all(this.queueEvents.map((e) => e.close()));
  }
}
