import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { DelayedError, Job, UnrecoverableError } from 'bullmq';
import type { JobResult, ParsedJobPayload } from '@llmp/contracts';
import { VECTOR_STORE, VectorRecord, VectorStore, VectorStoreError } from '@llmp/platform';
import { chatHistoryConfig } from '../config/chat-history.config';
import { ConversationsRepository } from '../conversations/conversations.repository';
import { ItemsRepository } from '../items/items.repository';
import { CHAT_MEMORY_COLLECTION } from './memory.constants';
import { MemoryEmbedder, isUsableVector } from './memory-embedder.service';
import { memoryText } from './memory-text';

/** While no worker serves the embedding model, an index job waits this long between looks (not an attempt). */
const NO_WORKER_DELAY_MS = 30_000;

/**
 * The `memory.index.v1` job: embeds the message items of one append and upserts their vectors (by item id, so a
 * re-run changes nothing) into `chat_memory` with `{user_id, conversation_id, item_id, role, model}`.
 */
@Injectable()
export class MemoryIndexer {
  constructor(
    private readonly conversations: ConversationsRepository,
    private readonly items: ItemsRepository,
    private readonly embedder: MemoryEmbedder,
    @Inject(VECTOR_STORE) private readonly store: VectorStore,
    @Inject(chatHistoryConfig.KEY) private readonly cfg: ConfigType<typeof chatHistoryConfig>,
  ) {}

  async index(payload: ParsedJobPayload<'memory.index.v1'>, job: Job): Promise<JobResult<'memory.index.v1'>> {
    const { conversationId, itemIds } = payload;
    const none = { indexed: 0, skipped: itemIds.length };
    if (!this.cfg.memory.enabled) return none;
    const conversation = await this.conversations.findActive(conversationId);
    if (!conversation) return none;
    const entries = (await this.items.findByIds(conversationId, itemIds)).flatMap((item) => {
      const text = memoryText(item);
      return text ? [{ item, text }] : [];
    });
    if (!entries.length) return none;

    if (!(await this.embedder.hasWorkers())) {
      if (Date.now() - job.timestamp > this.cfg.memory.indexMaxWaitMs) {
        throw new UnrecoverableError(`no embedding worker has served ${this.embedder.model} since the append`);
      }
      // Waits without holding a slot of this queue (summaries go on) and without using up an attempt.
      await job.moveToDelayed(Date.now() + NO_WORKER_DELAY_MS, job.token);
      throw new DelayedError();
    }
    const vectors = await this.embedder.embed(
      entries.map((e) => e.text),
      { jobId: `${job.id}-a${job.attemptsMade}`, timeoutMs: this.cfg.memory.indexTimeoutMs },
    );
    const records: VectorRecord[] = [];
    entries.forEach(({ item }, i) => {
      const vector = vectors[i]!;
      if (!isUsableVector(vector)) return; // only tokens the model does not know: nothing to recall it by
      records.push({
        id: item.id,
        vector,
        payload: {
          user_id: conversation.userId,
          conversation_id: conversationId,
          item_id: item.id,
          role: item.role,
          model: this.embedder.model,
        },
      });
    });
    if (!records.length) return none;
    try {
      await this.store.ensureCollection(CHAT_MEMORY_COLLECTION, vectors[0]!.length);
      await this.store.upsert(CHAT_MEMORY_COLLECTION, records);
    } catch (err) {
      // A collection of another dimension (the model was changed) or a bad payload will not get better by retrying.
      if (err instanceof VectorStoreError) throw new UnrecoverableError(`memory index: ${err.message}`);
      throw err;
    }

    // The conversation or items may have been deleted while they were embedded: take their vectors out again.
    const still = (await this.conversations.findActive(conversationId))
      ? new Set((await this.items.findByIds(conversationId, itemIds)).map((i) => i.id))
      : new Set<string>();
    const gone = records.map((r) => r.id).filter((id) => !still.has(id));
    if (gone.length) await this.store.deleteIds(CHAT_MEMORY_COLLECTION, gone);
    const indexed = records.length - gone.length;
    return { indexed, skipped: itemIds.length - indexed };
  }
}
