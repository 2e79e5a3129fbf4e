import type { FastifyReply } from 'fastify';
import type { Principal } from '@llmp/contracts';
import { ApiError, ApiErrorCode, Bucket, BucketState, TakeResult } from '@llmp/platform';

/** Request buckets of a caller: the key's and the user's, each only when a limit applies. */
export function requestBuckets(p: Principal): Bucket[] {
  const out: Bucket[] = [];
  if (p.keyId && p.keyLimits?.rpm) out.push({ id: `key:${p.keyId}:rpm`, perMinute: p.keyLimits.rpm, cost: 1 });
  if (p.userLimits.rpm) out.push({ id: `user:${p.userId}:rpm`, perMinute: p.userLimits.rpm, cost: 1 });
  return out;
}

/** Token buckets of a caller, charged `cost` tokens each. */
export function tokenBuckets(p: Principal, cost: number): Bucket[] {
  const out: Bucket[] = [];
  if (p.keyId && p.keyLimits?.tpm) out.push({ id: `key:${p.keyId}:tpm`, perMinute: p.keyLimits.tpm, cost });
  if (p.userLimits.tpm) out.push({ id: `user:${p.userId}:tpm`, perMinute: p.userLimits.tpm, cost });
  return out;
}

/** OpenAI's duration format for reset headers: `1s`, `6m0s`, `120ms`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.ceil(ms))}ms`;
  const s = Math.ceil(ms / 1000);
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${s % 60}s` : `${s}s`;
}

/** Sets `x-ratelimit-*` from the tightest bucket of each kind (requests, tokens). */
export function setRateLimitHeaders(reply: FastifyReply, states: BucketState[]): void {
  for (const kind of ['requests', 'tokens'] as const) {
    const suffix = kind === 'requests' ? ':rpm' : ':tpm';
    const tightest = states
      .filter((s) => s.id.endsWith(suffix))
      .sort((a, b) => a.remaining / a.limit - b.remaining / b.limit)[0];
    if (!tightest) continue;
    void reply.header(`x-ratelimit-limit-${kind}`, String(tightest.limit));
    void reply.header(`x-ratelimit-remaining-${kind}`, String(tightest.remaining));
    void reply.header(`x-ratelimit-reset-${kind}`, formatDuration(tightest.resetMs));
  }
}

export function rateLimitError(result: TakeResult, kind: 'requests' | 'tokens'): ApiError {
  const never = result.retryAfterMs < 0;
  const retryAfter = never ? 60 : Math.max(1, Math.ceil(result.retryAfterMs / 1000));
  const message = never
    ? `Request too large: it needs more ${kind} than your per-minute limit allows.`
    : `Rate limit reached for ${kind} per minute. Please try again in ${retryAfter}s.`;
  return new ApiError(ApiErrorCode.RateLimitExceeded, message, null, {
    headers: { 'retry-after': String(retryAfter) },
    type: kind,
  });
}
