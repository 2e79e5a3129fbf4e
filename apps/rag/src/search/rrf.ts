/** Reciprocal rank fusion's constant (Cormack et al.): dampens the weight of the very first ranks. */
export const RRF_K = 60;

export interface RankedList {
  /** Ids best first. */
  ids: readonly string[];
  weight: number;
}

/**
 * Fuses rankings by weighted reciprocal rank: score(d) = Σ weight / (k + rank), rank from 1. Scores are divided by
 * the best a document could get (first in every list), so they lie in [0, 1]: 1 is first everywhere. Ties keep the
 * order of first appearance.
 */
export function reciprocalRankFusion(lists: readonly RankedList[], k = RRF_K): { id: string; score: number }[] {
  const best = lists.reduce((sum, l) => sum + l.weight / (k + 1), 0);
  if (best <= 0) return [];
  const scores = new Map<string, number>();
  for (const list of lists) {
    if (list.weight <= 0) continue;
    list.ids.forEach((id, i) => scores.set(id, (scores.get(id) ?? 0) + list.weight / (k + i + 1)));
  }
  return [...scores].map(([id, score]) => ({ id, score: Math.min(1, score / best) })).sort((a, b) => b.score - a.score);
}
