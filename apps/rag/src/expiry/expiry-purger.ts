import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { PeriodicPass } from '@llmp/platform';
import { ChunkIndex } from '../chunks/chunk-index.service';
import { ragConfig } from '../config/rag.config';
import { FilesService } from '../files/files.service';
import { VectorStoresService } from '../vector-stores/vector-stores.service';

/** Stores (or files) one statement deletes; a pass repeats until fewer are left. */
const PURGE_BATCH = 20;

/**
 * Every RAG_PURGE_INTERVAL_S (and at start): deletes the vector stores whose `expires_after` has passed, then the
 * files past their `expires_at`, each as its delete RPC does (rows, chunks, then vectors), and retries the vector
 * deletions that failed. Every step is leased in Postgres (`FOR UPDATE SKIP LOCKED`), so replicas share the work
 * and never take the same row. A timer, not a repeatable job: it has to work while the queue does not.
 */
@Injectable()
export class ExpiryPurger implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ExpiryPurger.name);
  private readonly loop: PeriodicPass;

  constructor(
    private readonly stores: VectorStoresService,
    private readonly files: FilesService,
    private readonly index: ChunkIndex,
    @Inject(ragConfig.KEY) private readonly cfg: ConfigType<typeof ragConfig>,
  ) {
    this.loop = new PeriodicPass(() => this.run(), cfg.purgeIntervalMs);
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  /** One pass; each step on its own, so one failing (Postgres away) does not hold back the others next time. */
  async run(): Promise<void> {
    await this.step('vector stores', () => this.drain((n) => this.stores.purgeExpired(n)));
    await this.step('files', () => this.drain((n) => this.files.purgeExpired(n)));
    await this.step('vector deletions', () => this.index.retryFailedDeletions(this.cfg.purgeIntervalMs / 1000));
  }

  private async drain(purge: (limit: number) => Promise<number>): Promise<number> {
    let total = 0;
    while (!this.loop.stopped) {
      const n = await purge(PURGE_BATCH);
      total += n;
      if (n < PURGE_BATCH) break;
    }
    return total;
  }

  private async step(what: string, work: () => Promise<number>): Promise<void> {
    try {
      const n = await work();
      if (n) this.logger.log(`expiry purge: ${n} ${what}`);
    } catch (err) {
      this.logger.warn(`expiry purge of ${what}: ${(err as Error).message}`);
    }
  }

  onApplicationShutdown(): Promise<void> {
    return this.loop.stop();
  }
}
