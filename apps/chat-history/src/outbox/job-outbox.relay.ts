import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { PeriodicPass } from '@llmp/platform';
import { chatHistoryConfig } from '../config/chat-history.config';
import { JobOutbox } from './job-outbox.service';

/**
 * Runs the job outbox relay at start (what a killed process left behind) and every CHAT_JOB_OUTBOX_INTERVAL_MS,
 * one pass at a time. It is a timer, not a repeatable job: it has to work while the queue does not.
 */
@Injectable()
export class JobOutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(JobOutboxRelay.name);
  private readonly loop: PeriodicPass;

  constructor(
    private readonly outbox: JobOutbox,
    @Inject(chatHistoryConfig.KEY) private readonly cfg: ConfigType<typeof chatHistoryConfig>,
  ) {
    this.loop = new PeriodicPass(() => this.run(), cfg.outbox.intervalMs);
  }

  onApplicationBootstrap(): void {
    this.loop.start();
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
  onApplicationShutdown(): Promise<void> {
    return this.loop.stop();
  }
}
