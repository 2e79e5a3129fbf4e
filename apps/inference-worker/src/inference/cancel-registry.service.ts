import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { cancelChannel } from '@llmp/contracts';
import { RedisFactory, platformConfig } from '@llmp/platform';

const REMEMBER_CANCELLED_MS = 10 * 60 * 1000;

/**
 * Listens on the deployment's cancel channel. A gateway publishes a job id there when its client disconnects;
 * the generation of that job is aborted at once (within one decode step). Ids of jobs not running here are
 * remembered for a while, in case the job is picked up after the cancel was sent.
 */
@Injectable()
export class CancelRegistry implements OnModuleInit {
  private readonly running = new Map<string, AbortController>();
  private readonly cancelled = new Map<string, number>();

  constructor(
    private readonly redis: RedisFactory,
    @Inject(platformConfig.KEY) private readonly platform: ConfigType<typeof platformConfig>,
  ) {}

  async onModuleInit(): Promise<void> {
    const sub = this.redis.create('cancel-subscriber');
    sub.on('message', (_channel: string, jobId: string) => this.cancel(jobId));
    await sub.subscribe(cancelChannel(this.platform.queuePrefix));
  }

  /** Registers a starting job; the returned signal fires when the job is cancelled. */
  register(jobId: string): AbortController {
    const controller = new AbortController();
    if (this.cancelled.has(jobId)) controller.abort();
    this.running.set(jobId, controller);
    return controller;
  }

  unregister(jobId: string): void {
    this.running.delete(jobId);
  }

  private cancel(jobId: string): void {
    const controller = this.running.get(jobId);
    if (controller) {
      controller.abort();
      return;
    }
    const now = Date.now();
    this.cancelled.set(jobId, now);
    for (const [id, at] of this.cancelled) {
      if (now - at < REMEMBER_CANCELLED_MS) break; // insertion order: the rest are newer
      this.cancelled.delete(id);
    }
  }
}
