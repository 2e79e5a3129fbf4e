import { AUTO_CHUNKING } from '@llmp/contracts';
import type {
  ChunkingStrategyParam,
  FileCounts,
  StaticChunking,
  VectorStoreFileBatchObject,
  VectorStoreFileObject,
  VectorStoreObject,
} from '@llmp/contracts';
import { unixSeconds } from '../common/ids';
import type { FileBatchEntity } from './file-batch.entity';
import type { VectorStoreFileEntity } from './vector-store-file.entity';
import type { VectorStoreEntity } from './vector-store.entity';
import type { StoreUsage } from './vector-stores.repository';

const DAY_MS = 86_400_000;

export function vectorStoreView(s: VectorStoreEntity, usage: StoreUsage, now = Date.now()): VectorStoreObject {
  const expiresAt = s.expiresAfterDays ? s.lastActiveAt.getTime() + s.expiresAfterDays * DAY_MS : null;
  return {
    id: s.id,
    object: 'vector_store',
    created_at: unixSeconds(s.createdAt),
    name: s.name,
    usage_bytes: usage.usageBytes,
    file_counts: usage.counts,
    status: expiresAt !== null && expiresAt <= now ? 'expired' : usage.inProgress ? 'in_progress' : 'completed',
    expires_after: s.expiresAfterDays ? { anchor: 'last_active_at', days: s.expiresAfterDays } : null,
    expires_at: expiresAt === null ? null : Math.floor(expiresAt / 1000),
    last_active_at: unixSeconds(s.lastActiveAt),
    metadata: s.metadata ?? {},
  };
}

export function vectorStoreFileView(f: VectorStoreFileEntity): VectorStoreFileObject {
  return {
    id: f.fileId,
    object: 'vector_store.file',
    usage_bytes: Number(f.usageBytes),
    created_at: unixSeconds(f.createdAt),
    vector_store_id: f.vectorStoreId,
    status: f.status,
    last_error: f.lastErrorCode ? { code: f.lastErrorCode, message: f.lastErrorMessage ?? '' } : null,
    chunking_strategy: {
      type: 'static',
      static: { max_chunk_size_tokens: f.maxChunkSizeTokens, chunk_overlap_tokens: f.chunkOverlapTokens },
    },
    attributes: f.attributes ?? {},
  };
}

export function fileBatchView(b: FileBatchEntity, counts: FileCounts): VectorStoreFileBatchObject {
  const status =
    counts.in_progress > 0
      ? 'in_progress'
      : b.cancelledAt
        ? 'cancelled'
        : counts.total > 0 && counts.failed === counts.total
          ? 'failed'
          : 'completed';
  return {
    id: b.id,
    object: 'vector_store.files_batch',
    created_at: unixSeconds(b.createdAt),
    vector_store_id: b.vectorStoreId,
    status,
    file_counts: counts,
  };
}

/** The sizes a chunking strategy stands for (`auto`, or none: 800 / 400). */
export function chunkSizes(strategy: ChunkingStrategyParam | undefined): StaticChunking {
  return strategy?.type === 'static' ? strategy.static : { ...AUTO_CHUNKING };
}
