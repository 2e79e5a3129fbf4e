/** Failures are counted over this window, per (username, client address) pair and per client address. */
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

/** The lock-outs from the limit on (30, 60, …, 900 s): the n-th entry follows the (limit + n)-th failure. */
export function lockoutSchedule(): number[] {
  const steps: number[] = [];
  for (let extra = 0; steps.at(-1) !== LOGIN_LOCKOUT_MAX_S; extra++) steps.push(lockoutSeconds(1 + extra, 1));
  return steps;
}
