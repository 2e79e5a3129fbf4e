import { RRF_K, reciprocalRankFusion } from './rrf';

describe('reciprocalRankFusion', () => {
  it('ranks a document found by both rankings above one found by either, scores in [0, 1]', () => {
    const fused = reciprocalRankFusion([
      { ids: ['a', 'b', 'c'], weight: 1 },
      { ids: ['c', 'd'], weight: 1 },
    ]);
    expect(fused[0]!.id).toBe('c');
    expect(fused.map((f) => f.id).sort()).toEqual(['a', 'b', 'c', 'd']);
    for (const f of fused) expect(f.score).toBeGreaterThan(0);
    for (const f of fused) expect(f.score).toBeLessThanOrEqual(1);
    expect(
      reciprocalRankFusion([
        { ids: ['x'], weight: 1 },
        { ids: ['x'], weight: 1 },
      ])[0],
    ).toEqual({ id: 'x', score: 1 });
  });

  it('honours the weights: a zero weight ignores its ranking', () => {
    const lists = [
      { ids: ['v1', 'v2'], weight: 1 },
      { ids: ['t1', 't2'], weight: 0 },
    ];
    expect(reciprocalRankFusion(lists).map((f) => f.id)).toEqual(['v1', 'v2']);
    const textHeavy = reciprocalRankFusion([
      { ids: ['v1'], weight: 0.2 },
      { ids: ['t1'], weight: 0.8 },
    ]);
    expect(textHeavy[0]!.id).toBe('t1');
    expect(textHeavy[0]!.score).toBeCloseTo(0.8, 6);
    expect(reciprocalRankFusion([{ ids: ['a', 'b'], weight: 1 }])[1]!.score).toBeCloseTo((RRF_K + 1) / (RRF_K + 2), 6);
  });

  it('has nothing to fuse without a positive weight', () => {
    expect(reciprocalRankFusion([{ ids: ['a'], weight: 0 }])).toEqual([]);
  });
});
