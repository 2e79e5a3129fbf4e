import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { randomUUID } from 'node:crypto';
import type { ContextMemory } from '@llmp/contracts';
import { VECTOR_STORE, VectorStore } from '@llmp/platform';
import { chatHistoryConfig } from '../config/chat-history.config';
import { ItemsRepository } from '../items/items.repository';
import { CHAT_MEMORY_COLLECTION } from './memory.constants';
import { MemoryEmbedder, isUsableVector } from './memory-embedder.service';
import { memoryText } from './memory-text';

export interface RecallOptions {
  k: number;
  minScore: number;
}

/**
 * Recall by meaning: the user's stored messages nearest the new input, across all their conversations. Recall
 * never fails a request: without an embedding worker, past CHAT_RECALL_TIMEOUT_MS, or on any error, there are
 * simply no memories (and a log line).
 */
@Injectable()
export class MemoryRecall {
  private readonly logger = new Logger(MemoryRecall.name);

  constructor(
    private readonly embedder: MemoryEmbedder,
    private readonly items: ItemsRepository,
    @Inject(VECTOR_STORE) private readonly store: VectorStore,
    @Inject(chatHistoryConfig.KEY) private readonly cfg: ConfigType<typeof chatHistoryConfig>,
  ) {}

  /** The request's recall settings: the caller's, else the service's. */
  options(requested?: { k?: number; minScore?: number }): RecallOptions {
    return {
      k: requested?.k ?? this.cfg.memory.recallK,
      minScore: requested?.minScore ?? this.cfg.memory.recallMinScore,
    };
  }

  /**
   * Starts embedding the query (so it runs while the context loads). Resolves null, never rejects, when there is
   * nothing to recall with.
   */
  async embedQuery(query: string | undefined, opts: RecallOptions): Promise<Float32Array | null> {
    if (!this.cfg.memory.enabled || opts.k === 0 || !query?.trim()) return null;
    try {
      if (!(await this.embedder.hasWorkers())) {
        this.logger.debug(`no worker serves ${this.embedder.model}: recalling nothing`);
        return null;
      }
      const [vector] = await this.embedder.embed([query], {
        jobId: `recall-${randomUUID()}`,
        timeoutMs: this.cfg.memory.recallTimeoutMs,
      });
      return vector && isUsableVector(vector) ? vector : null;
    } catch (err) {
      this.logger.warn(`recall query not embedded, no memories this time: ${(err as Error).message}`);
      return null;
    }
  }

  /**
   * The user's messages nearest the query vector, best first, at least `minScore`, never one of `excludeIds`.
   * Every hit is checked against the database (the item exists, in an active conversation of the user), and its
   * text is read there.
   */
  async recall(
    userId: string,
    queryVector: Promise<Float32Array | null>,
    excludeIds: string[],
    opts: RecallOptions,
  ): Promise<ContextMemory[]> {
    const vector = await queryVector;
    if (!vector) return [];
    try {
      const hits = await this.store.search(CHAT_MEMORY_COLLECTION, vector, {
        // A few spare hits in case some were deleted since (their vectors go a moment after the rows).
        k: Math.min(opts.k * 2, 100),
        filter: { user_id: userId, model: this.embedder.model },
        excludeIds,
        minScore: opts.minScore,
      });
      if (!hits.length) return [];
      const items = new Map(
        (
          await this.items.findOwnedByIds(
            userId,
            hits.map((h) => h.id),
          )
        ).map((i) => [i.id, i]),
      );
      const memories: ContextMemory[] = [];
      for (const hit of hits) {
        const item = items.get(hit.id);
        const text = item ? memoryText(item) : null;
        if (text) memories.push({ id: hit.id, text, score: hit.score });
        if (memories.length === opts.k) break;
      }
      return memories;
    } catch (err) {
      this.logger.warn(`recall failed, no memories this time: ${(err as Error).message}`);
      return [];
    }
  }
}
