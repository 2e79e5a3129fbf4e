import { BatchStats, Batcher } from './batcher';

/** A runner whose calls are recorded and finish only when the test says so. */
function controlledRunner() {
  const calls: { items: string[]; finish: () => void; fail: (err: Error) => void }[] = [];
  const runner = (items: string[]) =>
    new Promise<string[]>((resolve, reject) => {
      calls.push({ items, finish: () => resolve(items.map((i) => i.toUpperCase())), fail: reject });
    });
  return { calls, runner };
}

/** Lets promise callbacks (resolutions, the batcher's bookkeeping) run. */
async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

describe('Batcher', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('gathers submissions that arrive within maxWaitMs into one call and gives each its own results', async () => {
    const { calls, runner } = controlledRunner();
    const batcher = new Batcher(runner, { maxBatchSize: 64, maxWaitMs: 5 });
    const a = batcher.submit(['a1', 'a2']);
    jest.advanceTimersByTime(2);
    const b = batcher.submit(['b1']);
    const c = batcher.submit(['c1', 'c2', 'c3']);
    expect(calls).toHaveLength(0);
    jest.advanceTimersByTime(3);
    expect(calls.map((c) => c.items)).toEqual([['a1', 'a2', 'b1', 'c1', 'c2', 'c3']]);
    calls[0]!.finish();
    await expect(a).resolves.toEqual(['A1', 'A2']);
    await expect(b).resolves.toEqual(['B1']);
    await expect(c).resolves.toEqual(['C1', 'C2', 'C3']);
  });

  it('runs a lone item after maxWaitMs, not before', async () => {
    const { calls, runner } = controlledRunner();
    const batcher = new Batcher(runner, { maxBatchSize: 8, maxWaitMs: 10 });
    const p = batcher.submit(['x']);
    jest.advanceTimersByTime(9);
    expect(calls).toHaveLength(0);
    jest.advanceTimersByTime(1);
    expect(calls).toHaveLength(1);
    calls[0]!.finish();
    await expect(p).resolves.toEqual(['X']);
  });

  it('runs at once when maxBatchSize items are waiting', () => {
    const { calls, runner } = controlledRunner();
    const batcher = new Batcher(runner, { maxBatchSize: 3, maxWaitMs: 1000 });
    void batcher.submit(['a', 'b']);
    expect(calls).toHaveLength(0);
    void batcher.submit(['c']);
    expect(calls.map((c) => c.items)).toEqual([['a', 'b', 'c']]);
  });

  it('splits a large submission into maxBatchSize chunks that other submissions share, first in first out', async () => {
    const { calls, runner } = controlledRunner();
    const batcher = new Batcher(runner, { maxBatchSize: 4, maxWaitMs: 2 });
    const big = batcher.submit(['b0', 'b1', 'b2', 'b3', 'b4', 'b5', 'b6', 'b7', 'b8', 'b9']);
    const small = batcher.submit(['s0']);
    expect(calls.map((c) => c.items)).toEqual([['b0', 'b1', 'b2', 'b3']]);
    calls[0]!.finish();
    await flush();
    expect(calls.map((c) => c.items)[1]).toEqual(['b4', 'b5', 'b6', 'b7']);
    calls[1]!.finish();
    await flush();
    // The rest of the big submission (2 items) and the small one share a call once they have waited maxWaitMs.
    expect(calls).toHaveLength(2);
    jest.advanceTimersByTime(2);
    expect(calls.map((c) => c.items)[2]).toEqual(['b8', 'b9', 's0']);
    calls[2]!.finish();
    await expect(big).resolves.toEqual(['B0', 'B1', 'B2', 'B3', 'B4', 'B5', 'B6', 'B7', 'B8', 'B9']);
    await expect(small).resolves.toEqual(['S0']);
  });

  it('runs one call at a time: what arrives meanwhile is the next batch, run as soon as the call ends', async () => {
    const { calls, runner } = controlledRunner();
    const batcher = new Batcher(runner, { maxBatchSize: 64, maxWaitMs: 2 });
    const first = batcher.submit(['a']);
    jest.advanceTimersByTime(2);
    expect(calls).toHaveLength(1);
    const second = batcher.submit(['b']);
    const third = batcher.submit(['c']);
    jest.advanceTimersByTime(50); // the model is still busy: nothing else runs
    expect(calls).toHaveLength(1);
    expect(batcher.waiting).toBe(2);
    calls[0]!.finish();
    await flush();
    expect(calls.map((c) => c.items)[1]).toEqual(['b', 'c']);
    calls[1]!.finish();
    await expect(first).resolves.toEqual(['A']);
    await expect(Promise.all([second, third])).resolves.toEqual([['B'], ['C']]);
  });

  it('with maxWaitMs 0 takes what was submitted in the same event-loop turn', async () => {
    const { calls, runner } = controlledRunner();
    const batcher = new Batcher(runner, { maxBatchSize: 64, maxWaitMs: 0 });
    const a = batcher.submit(['a']);
    const b = batcher.submit(['b']);
    expect(calls).toHaveLength(0);
    jest.runOnlyPendingTimers();
    expect(calls.map((c) => c.items)).toEqual([['a', 'b']]);
    calls[0]!.finish();
    await expect(Promise.all([a, b])).resolves.toEqual([['A'], ['B']]);
  });

  it('fails every submission of a failed call, drops their other items, and keeps serving the rest', async () => {
    const { calls, runner } = controlledRunner();
    const batcher = new Batcher(runner, { maxBatchSize: 2, maxWaitMs: 1 });
    const big = batcher.submit(['x0', 'x1', 'x2', 'x3']);
    const other = batcher.submit(['o0']);
    expect(calls.map((c) => c.items)).toEqual([['x0', 'x1']]);
    calls[0]!.fail(new Error('model crashed'));
    await expect(big).rejects.toThrow('model crashed');
    await flush();
    jest.advanceTimersByTime(1);
    // x2 and x3 belonged to the failed submission: they are not run.
    expect(calls.map((c) => c.items)[1]).toEqual(['o0']);
    calls[1]!.finish();
    await expect(other).resolves.toEqual(['O0']);
  });

  it('rejects when the runner returns the wrong number of results', async () => {
    const batcher = new Batcher(async (items: string[]) => items.slice(1), { maxBatchSize: 8, maxWaitMs: 0 });
    const p = batcher.submit(['a', 'b']);
    jest.runOnlyPendingTimers();
    await expect(p).rejects.toThrow('batch of 2 returned 1 results');
  });

  it('resolves an empty submission at once, without a call', async () => {
    const { calls, runner } = controlledRunner();
    const batcher = new Batcher(runner, { maxBatchSize: 8, maxWaitMs: 5 });
    await expect(batcher.submit([])).resolves.toEqual([]);
    jest.runAllTimers();
    expect(calls).toHaveLength(0);
  });

  it('reports each call: size, submissions served, how long the oldest item waited', async () => {
    const stats: BatchStats[] = [];
    const batcher = new Batcher(
      async (items: string[]) => items,
      { maxBatchSize: 8, maxWaitMs: 4 },
      (s) => stats.push(s),
    );
    const a = batcher.submit(['a', 'b']);
    jest.advanceTimersByTime(1);
    const b = batcher.submit(['c']);
    jest.advanceTimersByTime(3);
    await Promise.all([a, b]);
    expect(stats).toEqual([{ size: 3, submissions: 2, waitedMs: 4, runMs: expect.any(Number), failed: false }]);
  });

  it('rejects nonsensical options', () => {
    expect(() => new Batcher(async (i: string[]) => i, { maxBatchSize: 0, maxWaitMs: 1 })).toThrow();
    expect(() => new Batcher(async (i: string[]) => i, { maxBatchSize: 1, maxWaitMs: -1 })).toThrow();
  });
});
