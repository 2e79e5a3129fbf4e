import { DateTime } from 'luxon';
import { z } from 'zod';
import { ToolError, defineFunction } from '../builtin-function';

// No min/max in the schema: the decoding grammar cannot express numeric bounds (checked in run instead).
const amount = z.number().int();
const LIMIT = 100_000;

export const dateAdd = defineFunction({
  name: 'date_add',
  description: 'Adds (or, with negative amounts, subtracts) years, months, weeks and days to a calendar date.',
  schema: z.object({
    date: z.string().min(1).max(10).describe('Calendar date, YYYY-MM-DD'),
    years: amount.optional(),
    months: amount.optional(),
    weeks: amount.optional(),
    days: amount.optional(),
  }),
  run: ({ date, years, months, weeks, days }) => {
    if ([years, months, weeks, days].some((n) => n !== undefined && Math.abs(n) > LIMIT)) {
      throw new ToolError(`Amounts must be between -${LIMIT} and ${LIMIT}.`);
    }
    const start = DateTime.fromISO(date, { zone: 'UTC' });
    if (!start.isValid) throw new ToolError(`'${date}' is not a calendar date (YYYY-MM-DD).`);
    const end = start.plus({ years: years ?? 0, months: months ?? 0, weeks: weeks ?? 0, days: days ?? 0 });
    return { date: end.toISODate(), weekday: end.toFormat('cccc') };
  },
});
