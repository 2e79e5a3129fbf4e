/** Failures are counted over this window, per username and per client IP. */
export const LOGIN_FAILURE_WINDOW_S = 15 * 60;
/** The first lock-out, once the limit is reached; each further failure doubles it. */
export const LOGIN_LOCKOUT_BASE_S = 30;
export const LOGIN_LOCKOUT_MAX_S = 15 * 60;

/**
 * Seconds to refuse logins after the `failures`-th failure within the window: nothing below `maxFailures`, then
 * 30 s, doubling with every further failure, capped at 15 minutes.
 */
export function lockoutSeconds(failures: number, maxFailures: number): number {
  if (failures < maxFailures) return 0;
  const doublings = Math.min(failures - maxFailures, 20);
  return Math.min(LOGIN_LOCKOUT_BASE_S * 2 ** doublings, LOGIN_LOCKOUT_MAX_S);
}
