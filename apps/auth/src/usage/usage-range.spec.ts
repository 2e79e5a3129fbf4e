import { AuthError } from '../errors/auth.error';
import { resolveUsageRange } from './usage-range';

describe('resolveUsageRange', () => {
  const now = new Date('2025-03-10T12:00:00.400Z');
  const nowS = Math.floor(now.getTime() / 1000);

  it('defaults to the last 30 days, including the current second', () => {
    expect(resolveUsageRange(undefined, undefined, now)).toEqual({ from: nowS + 1 - 30 * 86400, to: nowS + 1 });
  });

  it('takes unix seconds, ISO dates (midnight UTC) and ISO date-times with offsets', () => {
    expect(resolveUsageRange(1_700_000_000, 1_700_003_600, now)).toEqual({ from: 1_700_000_000, to: 1_700_003_600 });
    expect(resolveUsageRange('2025-03-01', '2025-03-02', now)).toEqual({
      from: Date.UTC(2025, 2, 1) / 1000,
      to: Date.UTC(2025, 2, 2) / 1000,
    });
    expect(resolveUsageRange('2025-03-01T02:00:00+02:00', undefined, now).from).toBe(Date.UTC(2025, 2, 1) / 1000);
  });

  it('refuses an empty or inverted interval, naming from', () => {
    expect(() => resolveUsageRange(100, 100, now)).toThrow(AuthError);
    try {
      resolveUsageRange('2025-03-02', '2025-03-01', now);
    } catch (err) {
      expect((err as AuthError).toPayload()).toMatchObject({ code: 'invalid_request', param: 'from' });
    }
  });
});
