import { Coalescer } from './coalescer';

/** A flush whose calls are recorded and end only when the test says so. */
function controlledFlush() {
  const calls: { items: number[]; done: () => void; fail: (err: Error) => void }[] = [];
  const flush = (items: number[]) =>
    new Promise<void>((resolve, reject) => {
      calls.push({ items, done: resolve, fail: reject });
    });
  return { calls, flush };
}

/** Lets promise callbacks run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

describe('Coalescer', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('flushes the items of one window together, windowMs after the first, not before', () => {
    const { calls, flush } = controlledFlush();
    const c = new Coalescer(flush, { windowMs: 20, maxItems: 100 });
    c.push(1);
    jest.advanceTimersByTime(10);
    c.push(2);
    c.push(3);
    jest.advanceTimersByTime(9);
    expect(calls).toHaveLength(0);
    expect(c.waiting).toBe(3);
    jest.advanceTimersByTime(1);
    expect(calls.map((x) => x.items)).toEqual([[1, 2, 3]]);
    expect(c.waiting).toBe(0);
  });

  it('starts a new window with the first item after a flush', () => {
    const { calls, flush } = controlledFlush();
    const c = new Coalescer(flush, { windowMs: 5, maxItems: 100 });
    c.push(1);
    jest.advanceTimersByTime(5);
    c.push(2);
    jest.advanceTimersByTime(4);
    expect(calls.map((x) => x.items)).toEqual([[1]]);
    jest.advanceTimersByTime(1);
    expect(calls.map((x) => x.items)).toEqual([[1], [2]]);
  });

  it('flushes at once when maxItems are waiting, and never more than maxItems together', () => {
    const { calls, flush } = controlledFlush();
    const c = new Coalescer(flush, { windowMs: 1000, maxItems: 3 });
    for (let i = 1; i <= 7; i++) c.push(i);
    expect(calls.map((x) => x.items)).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    jest.advanceTimersByTime(1000);
    expect(calls.map((x) => x.items)).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
  });

  it('on close flushes what waits and resolves only once every flush has ended', async () => {
    const { calls, flush } = controlledFlush();
    const c = new Coalescer(flush, { windowMs: 1000, maxItems: 2 });
    c.push(1);
    c.push(2); // flushed (bound), still running
    c.push(3); // waiting for its window
    let closed = false;
    const closing = c.close().then(() => (closed = true));
    expect(calls.map((x) => x.items)).toEqual([[1, 2], [3]]);
    calls[1]!.done();
    await settle();
    expect(closed).toBe(false);
    calls[0]!.done();
    await closing;
    expect(closed).toBe(true);
  });

  it('after close flushes each item at once, so nothing pushed late is held back', () => {
    const { calls, flush } = controlledFlush();
    const c = new Coalescer(flush, { windowMs: 1000, maxItems: 100 });
    void c.close();
    c.push(1);
    c.push(2);
    expect(calls.map((x) => x.items)).toEqual([[1], [2]]);
  });

  it('drain flushes without waiting for the window and leaves the coalescer open', async () => {
    const { calls, flush } = controlledFlush();
    const c = new Coalescer(flush, { windowMs: 1000, maxItems: 100 });
    c.push(1);
    const drained = c.drain();
    expect(calls.map((x) => x.items)).toEqual([[1]]);
    calls[0]!.done();
    await drained;
    c.push(2);
    expect(calls).toHaveLength(1);
    jest.advanceTimersByTime(1000);
    expect(calls.map((x) => x.items)).toEqual([[1], [2]]);
  });

  it('keeps going when a flush fails or throws', async () => {
    let n = 0;
    const flushed: number[][] = [];
    const c = new Coalescer<number>(
      (items) => {
        n++;
        if (n === 1) throw new Error('sync failure');
        if (n === 2) return Promise.reject(new Error('async failure'));
        flushed.push(items);
        return Promise.resolve();
      },
      { windowMs: 1, maxItems: 100 },
    );
    c.push(1);
    jest.advanceTimersByTime(1);
    c.push(2);
    jest.advanceTimersByTime(1);
    c.push(3);
    jest.advanceTimersByTime(1);
    await c.close();
    expect(flushed).toEqual([[3]]);
  });

  it('rejects nonsensical options', () => {
    expect(() => new Coalescer(async () => undefined, { windowMs: 1, maxItems: 0 })).toThrow();
    expect(() => new Coalescer(async () => undefined, { windowMs: -1, maxItems: 1 })).toThrow();
  });
});
