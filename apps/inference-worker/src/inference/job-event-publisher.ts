import type { Redis } from 'ioredis';
import type { GenerationResult, StreamEvent } from '@llmp/contracts';

/**
 * Publishes one job's events to the gateway that owns it. Text deltas are coalesced per event-loop turn: when
 * the machine is idle every token goes out at once (no added latency); when it is busy, tokens produced in the
 * same turn travel in one message, so per-token overhead falls as load rises.
 */
export class JobEventPublisher {
  private pending = '';
  private scheduled = false;

  constructor(
    private readonly redis: Redis,
    private readonly channel: string,
    private readonly jobId: string,
  ) {}

  start(attempt: number, promptTokens: number): void {
    this.publish({ type: 'start', jobId: this.jobId, attempt, promptTokens });
  }

  delta(text: string): void {
    if (!text) return;
    this.pending += text;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  end(result: GenerationResult): void {
    this.flush();
    this.publish({ type: 'end', jobId: this.jobId, ...result });
  }

  /** Resolves once Redis has delivered the event, so it reaches the gateway before BullMQ's own failure event. */
  async error(code: string, message: string, retrying: boolean, param: string | null = null): Promise<void> {
    this.flush();
    await this.redis
      .publish(this.channel, JSON.stringify({ type: 'error', jobId: this.jobId, code, message, retrying, param }))
      .catch(() => undefined);
  }

  private flush(): void {
    this.scheduled = false;
    if (!this.pending) return;
    const text = this.pending;
    this.pending = '';
    this.publish({ type: 'delta', jobId: this.jobId, text });
  }

  private publish(event: StreamEvent): void {
    // Fire and forget: ioredis keeps order on one connection and queues commands while reconnecting.
    this.redis.publish(this.channel, JSON.stringify(event)).catch(() => undefined);
  }
}
