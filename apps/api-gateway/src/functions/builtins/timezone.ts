import { DateTime, IANAZone } from 'luxon';
import { ToolError } from '../builtin-function';

/** An IANA zone by name, or a ToolError naming it (the model sees the message). */
export function zone(name: string): IANAZone {
  const z = IANAZone.create(name);
  if (!z.isValid) throw new ToolError(`Unknown time zone '${name}' (use an IANA name such as Europe/Paris).`);
  return z;
}

export function describeTime(t: DateTime) {
  return {
    timezone: t.zoneName,
    iso: t.toISO({ suppressMilliseconds: true }),
    date: t.toISODate(),
    time: t.toFormat('HH:mm:ss'),
    weekday: t.toFormat('cccc'),
    utc_offset: t.toFormat('ZZ'),
  };
}
