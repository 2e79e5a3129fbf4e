import { DateTime } from 'luxon';
import { z } from 'zod';
import { defineFunction } from '../builtin-function';
import { describeTime, zone } from './timezone';

export const getCurrentTime = defineFunction({
  name: 'get_current_time',
  description: 'The current date and time in a time zone.',
  schema: z.object({
    timezone: z.string().min(1).max(64).describe('IANA time zone, e.g. Europe/Paris or UTC'),
  }),
  run: ({ timezone }, ctx) => describeTime(DateTime.fromJSDate(ctx.now()).setZone(zone(timezone))),
});
