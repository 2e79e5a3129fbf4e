import { Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { Principal, Usage, UsageRecordV1Payload } from '@llmp/contracts';
import { RateLimiter } from '@llmp/platform';
import { rateLimitError, setRateLimitHeaders, tokenBuckets } from './rate-limit.policy';
import { UsageRecorder } from './usage-recorder.service';

/**
 * Tokens held against a caller's per-minute token limits while a job runs: reserved up front (prompt estimate +
 * the most it may generate), then settled to what the model really used (nothing when the job failed).
 */
export class TokenReservation {
  private used = 0;
  private settled = false;

  constructor(
    private readonly limiter: RateLimiter,
    private readonly usage: UsageRecorder,
    private readonly principal: Principal,
    private readonly reserved: number,
  ) {}

  /** The job's real usage: recorded for the usage report and charged instead of the reservation. */
  record(jobId: string, model: string, endpoint: UsageRecordV1Payload['endpoint'], usage: Usage): void {
    this.used = usage.promptTokens + usage.completionTokens;
    this.usage.record(this.principal, jobId, model, endpoint, usage);
  }

  /** Gives back what was reserved and not used; idempotent. */
  settle(): void {
    if (this.settled) return;
    this.settled = true;
    const delta = this.used - this.reserved;
    if (delta === 0) return;
    void this.limiter.adjust(tokenBuckets(this.principal, delta)).catch(() => undefined);
  }
}

@Injectable()
export class TokenMeter {
  constructor(
    private readonly limiter: RateLimiter,
    private readonly usage: UsageRecorder,
  ) {}

  /** Reserves `tokens` (429 `tokens` when over a limit) and sets the `x-ratelimit-*-tokens` headers. */
  async reserve(reply: FastifyReply, principal: Principal, tokens: number): Promise<TokenReservation> {
    const taken = await this.limiter.take(tokenBuckets(principal, tokens));
    setRateLimitHeaders(reply, taken.states);
    if (!taken.allowed) throw rateLimitError(taken, 'tokens');
    return new TokenReservation(this.limiter, this.usage, principal, tokens);
  }
}
