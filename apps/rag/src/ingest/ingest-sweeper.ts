import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { PeriodicPass, RedisFactory } from '@llmp/platform';
import { ragConfig } from '../config/rag.config';
import { VectorStoreFilesRepository } from '../vector-stores/vector-store-files.repository';
import { IngestQueue } from './ingest-queue.service';
import { IngestService } from './pipeline/ingest.service';

const SWEEP_BATCH = 100;
/** How long an in-progress file with a live job waits before it is checked again. */
const RECHECK_MS = 60_000;

/**
 * Every RAG_INGEST_SWEEP_INTERVAL_MS (and at start) looks at the in-progress vector store files whose check is due:
 * one whose job Redis does not have (its enqueue lost, or Redis restarted empty) is enqueued again; one whose job
 * ended without settling the file (failed for good) is marked failed (`server_error`). A timer, not a repeatable
 * job: it has to work while the queue does not.
 */
@Injectable()
export class IngestSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(IngestSweeper.name);
  private readonly loop: PeriodicPass;

  constructor(
    private readonly rows: VectorStoreFilesRepository,
    private readonly queue: IngestQueue,
    private readonly ingest: IngestService,
    private readonly redis: RedisFactory,
    @Inject(ragConfig.KEY) private readonly cfg: ConfigType<typeof ragConfig>,
  ) {
    this.loop = new PeriodicPass(() => this.run(), cfg.ingest.sweepIntervalMs);
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  private async run(): Promise<void> {
    try {
      await this.sweep();
    } catch (err) {
      // Postgres or Redis went away mid-pass: the leased rows are due again later.
      this.logger.warn(`ingest sweep: ${(err as Error).message}`);
    }
  }

  /** One pass; answers how many jobs it enqueued. */
  async sweep(): Promise<number> {
    if (this.redis.client().status !== 'ready') return 0;
    let enqueued = 0;
    for (;;) {
      const rows = await this.rows.claimDue(SWEEP_BATCH, RECHECK_MS);
      for (const row of rows) {
        const state = await this.queue.state(row.ingestId);
        const payload = { vectorStoreId: row.vectorStoreId, fileId: row.fileId, ingestId: row.ingestId };
        if (state === 'unknown') {
          await this.queue.add(payload);
          enqueued++;
        } else if (state === 'failed' || state === 'completed') {
          await this.ingest.failStale(payload, 'The ingest job ended without indexing the file.');
        }
      }
      if (rows.length < SWEEP_BATCH) return enqueued;
    }
  }

  onApplicationShutdown(): Promise<void> {
    return this.loop.stop();
  }
}
