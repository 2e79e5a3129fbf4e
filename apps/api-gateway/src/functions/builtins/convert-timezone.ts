import { DateTime } from 'luxon';
import { z } from 'zod';
import { ToolError, defineFunction } from '../builtin-function';
import { describeTime, zone } from './timezone';

export const convertTimezone = defineFunction({
  name: 'convert_timezone',
  description: 'Converts a local date and time from one time zone to another.',
  schema: z.object({
    datetime: z.string().min(1).max(40).describe('Local date and time, ISO 8601, e.g. 2026-03-01T09:30:00'),
    from_timezone: z.string().min(1).max(64).describe('IANA zone the time is in'),
    to_timezone: z.string().min(1).max(64).describe('IANA zone to convert to'),
  }),
  run: ({ datetime, from_timezone, to_timezone }) => {
    const from = DateTime.fromISO(datetime, { zone: zone(from_timezone) });
    if (!from.isValid) throw new ToolError(`'${datetime}' is not an ISO 8601 date and time.`);
    return { from: describeTime(from), to: describeTime(from.setZone(zone(to_timezone))) };
  },
});
