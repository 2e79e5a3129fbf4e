export interface SummaryTrigger {
  /** Summarize when more than this many items follow the last summary (0: never). */
  triggerItems: number;
  /** The newest items left out of a summary. */
  keepItems: number;
}

/**
 * Where a summary should start counting: after the latest stored summary, or after the one already asked for
 * (so appends made while a summary job runs do not ask again).
 */
export function summaryBase(latestSummaryThrough: number | null, requestedThrough: number): number {
  return Math.max(latestSummaryThrough ?? 0, requestedThrough);
}

/**
 * How many of the newest items to skip to find the newest item a new summary covers; null when the items after
 * the base do not exceed the trigger yet.
 */
export function summaryCutoffOffset(itemsAfterBase: number, trigger: SummaryTrigger): number | null {
  if (trigger.triggerItems <= 0 || itemsAfterBase <= trigger.triggerItems) return null;
  return trigger.keepItems;
}
