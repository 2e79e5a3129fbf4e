const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids from callers are checked before they reach Postgres, where a malformed uuid is a query error. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

export function unixSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

export function unixSecondsOrNull(date: Date | null): number | null {
  return date ? unixSeconds(date) : null;
}
