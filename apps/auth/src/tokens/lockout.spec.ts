import { LOGIN_LOCKOUT_MAX_S, lockoutSchedule, lockoutSeconds } from './lockout';

describe('lockoutSeconds', () => {
  it('does not lock below the limit', () => {
    expect(lockoutSeconds(0, 5)).toBe(0);
    expect(lockoutSeconds(4, 5)).toBe(0);
  });

  it('locks for 30 s at the limit and doubles per extra failure', () => {
    expect([5, 6, 7, 8, 9].map((n) => lockoutSeconds(n, 5))).toEqual([30, 60, 120, 240, 480]);
  });

  it('caps at 15 minutes, however many failures', () => {
    expect(lockoutSeconds(10, 5)).toBe(LOGIN_LOCKOUT_MAX_S);
    expect(lockoutSeconds(10_000, 5)).toBe(900);
  });
});

describe('lockoutSchedule', () => {
  it('lists every lock-out from the limit on, ending at the cap', () => {
    expect(lockoutSchedule()).toEqual([30, 60, 120, 240, 480, 900]);
  });
});
