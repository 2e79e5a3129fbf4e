import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { chatHistoryConfig } from '../config/chat-history.config';
import { JobOutbox } from './job-outbox.service';

/** How long shutdown waits for a relay pass under way. */
const SHUTDOWN_WAIT_MS = 2000;

/**
 * Runs the job outbox relay at start (what a killed process left behind) and every CHAT_JOB_OUTBOX_INTERVAL_MS,
 * one pass at a time. It is a timer, not a repeatable job: it has to work while the queue does not.
 */
@Injectable()
export class JobOutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(JobOutboxRelay.name);
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly outbox: JobOutbox,
    @Inject(chatHistoryConfig.KEY) private readonly cfg: ConfigType<typeof chatHistoryConfig>,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.pass = this.run().finally(() => {
        this.pass = undefined;
        this.schedule(this.cfg.outbox.intervalMs);
      });
    }, delayMs);
    this.timer.unref();
  }

  private async run(): Promise<void> {
    try {
      await this.outbox.relay();
    } catch (err) {
      // Postgres or Redis went away mid-pass: the leased rows are due again at the next pass.
      this.logger.warn(`job outbox relay: ${(err as Error).message}`);
    }
  }

  /** Waits a little for a pass under way; one stuck on a Redis that is away is left (its leases run out). */
  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (!this.pass) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.pass, new Promise((r) => (timer = setTimeout(r, SHUTDOWN_WAIT_MS)))]);
    clearTimeout(timer);
  }
}
