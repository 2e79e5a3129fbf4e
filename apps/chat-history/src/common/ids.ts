import { randomBytes } from 'node:crypto';

/** An opaque id in OpenAI's style: the prefix and 48 random hex characters (`conv_…`, `msg_…`). */
export function newId(prefix: string): string {
  return `${prefix}${randomBytes(24).toString('hex')}`;
}

export function unixSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

export function unixSecondsOrNull(date: Date | null): number | null {
  return date ? unixSeconds(date) : null;
}
