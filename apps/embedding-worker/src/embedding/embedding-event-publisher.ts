import type { Redis } from 'ioredis';
import type { StreamEvent } from '@llmp/contracts';

type EmbeddingsEvent = Extract<StreamEvent, { type: 'embeddings' }>;

/**
 * Publishes an embedding job's outcome to the gateway that waits for it (the job's `replyTo` channel). Each publish
 * resolves once Redis has taken the event, so it reaches the gateway before BullMQ's own completion or failure.
 */
export class EmbeddingEventPublisher {
  constructor(
    private readonly redis: Redis,
    private readonly channel: string,
    private readonly jobId: string,
  ) {}

  /** Throws when Redis does not take it: the job then fails and is retried rather than leaving the gateway waiting. */
  async embeddings(result: Omit<EmbeddingsEvent, 'type' | 'jobId'>): Promise<void> {
    await this.publish({ type: 'embeddings', jobId: this.jobId, ...result });
  }

  async error(code: string, message: string, retrying: boolean, param: string | null = null): Promise<void> {
    await this.publish({ type: 'error', jobId: this.jobId, code, message, retrying, param }).catch(() => undefined);
  }

  private async publish(event: StreamEvent): Promise<void> {
    await this.redis.publish(this.channel, JSON.stringify(event));
  }
}
