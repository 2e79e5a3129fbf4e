/**
 * Queue names. Inference has one queue per served model (`inference-<model id>`), so a CPU pool and a CUDA pool
 * can serve different models and each pool scales on its own queue depth.
 */
export const INFERENCE_QUEUE_PREFIX = 'inference-';

export function inferenceQueueName(modelId: string): string {
  return `${INFERENCE_QUEUE_PREFIX}${modelId}`;
}

/**
 * Embedding has one queue per served embedding model (`embedding-<model id>`), for the same reasons: an ONNX CPU pool
 * and a CUDA pool can serve different models and scale on their own queue depth.
 */
export const EMBEDDING_QUEUE_PREFIX = 'embedding-';

export function embeddingQueueName(modelId: string): string {
  return `${EMBEDDING_QUEUE_PREFIX}${modelId}`;
}

/** Redis key namespace shared by every BullMQ queue of one deployment (overridable per test run). */
export const DEFAULT_QUEUE_PREFIX = 'llmp';
