import { AuthErrorCode } from '@llmp/contracts';
import { AuthError } from '../errors/auth.error';

export const DEFAULT_USAGE_WINDOW_S = 30 * 24 * 3600;

/**
 * The half-open interval [from, to) of a usage query, in unix seconds. Bounds are unix seconds or ISO dates
 * (`2025-01-31`, midnight UTC) or date-times; the default is the 30 days up to now.
 */
export function resolveUsageRange(
  from: number | string | undefined,
  to: number | string | undefined,
  now: Date = new Date(),
): { from: number; to: number } {
  const toS = to === undefined ? Math.floor(now.getTime() / 1000) + 1 : toSeconds(to, 'to');
  const fromS = from === undefined ? toS - DEFAULT_USAGE_WINDOW_S : toSeconds(from, 'from');
  if (fromS >= toS) throw new AuthError(AuthErrorCode.InvalidRequest, "'from' must be before 'to'.", 'from');
  return { from: fromS, to: toS };
}

function toSeconds(value: number | string, param: string): number {
  const ms = typeof value === 'number' ? value * 1000 : Date.parse(value);
  if (!Number.isFinite(ms)) throw new AuthError(AuthErrorCode.InvalidRequest, `Invalid '${param}' time.`, param);
  return Math.floor(ms / 1000);
}
