import { DateTime } from 'luxon';
import { z } from 'zod';
import { ToolError, defineFunction } from '../builtin-function';

export const dateDifference = defineFunction({
  name: 'date_difference',
  description: 'The time between two calendar dates: whole days, and years, months and days.',
  schema: z.object({
    from: z.string().min(1).max(10).describe('Start date, YYYY-MM-DD'),
    to: z.string().min(1).max(10).describe('End date, YYYY-MM-DD'),
  }),
  run: ({ from, to }) => {
    const a = DateTime.fromISO(from, { zone: 'UTC' });
    const b = DateTime.fromISO(to, { zone: 'UTC' });
    if (!a.isValid) throw new ToolError(`'${from}' is not a calendar date (YYYY-MM-DD).`);
    if (!b.isValid) throw new ToolError(`'${to}' is not a calendar date (YYYY-MM-DD).`);
    const parts = b.diff(a, ['years', 'months', 'days']).toObject();
    return {
      days: Math.round(b.diff(a, 'days').days),
      years: parts.years ?? 0,
      months: parts.months ?? 0,
      remaining_days: Math.round(parts.days ?? 0),
    };
  },
});
