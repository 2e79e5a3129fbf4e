import type { FastifyReply } from 'fastify';
import { RAG_POLL_AFTER_MS_HEADER, VectorStoreFileBatchObject, VectorStoreFileObject } from '@llmp/contracts';

/**
 * Answers a vector store file or batch; while it is `in_progress`, with `openai-poll-after-ms` so the SDK's
 * `createAndPoll` / `uploadAndPoll` ask again at that pace (their default is every 5 s).
 */
export function withPollAfter<T extends VectorStoreFileObject | VectorStoreFileBatchObject>(
  reply: FastifyReply,
  obj: T,
  pollAfterMs: number,
): T {
  if (obj.status === 'in_progress') void reply.header(RAG_POLL_AFTER_MS_HEADER, String(pollAfterMs));
  return obj;
}
