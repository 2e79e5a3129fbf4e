import { l2NormalizeInPlace, poolTokenVectors, splitSentenceVectors, truncateVector } from './vector-math';

const norm = (v: ArrayLike<number>) => Math.sqrt(Array.from(v).reduce((a, x) => a + x * x, 0));

describe('l2NormalizeInPlace', () => {
  it('scales to unit length', () => {
    const v = l2NormalizeInPlace(Float32Array.from([3, 4]));
    expect(Array.from(v)).toEqual([expect.closeTo(0.6, 6), expect.closeTo(0.8, 6)]);
  });

  it('turns a zero vector and a NaN vector into zeros instead of NaN', () => {
    expect(Array.from(l2NormalizeInPlace(new Float32Array(3)))).toEqual([0, 0, 0]);
    expect(Array.from(l2NormalizeInPlace(Float32Array.from([NaN, 1, 2])))).toEqual([0, 0, 0]);
    expect(Array.from(l2NormalizeInPlace(Float32Array.from([Infinity, 1])))).toEqual([0, 0]);
  });
});

describe('poolTokenVectors', () => {
  // 2 inputs x 3 token positions x 2 dims; input 0 has 2 real tokens, input 1 has none (empty input).
  const hidden = [1, 2, 3, 4, 100, 100, 7, 7, 8, 8, 9, 9];
  const mask = [1, 1, 0, 0, 0, 0];

  it('averages only the real tokens (mean), without normalising when not asked', () => {
    const [a, b] = poolTokenVectors(hidden, [2, 3, 2], mask, 'mean', false);
    expect(Array.from(a!)).toEqual([2, 3]);
    expect(Array.from(b!)).toEqual([0, 0]);
  });

  it('normalises, and gives an input with nothing to pool a zero vector, never NaN', () => {
    const [a, b] = poolTokenVectors(hidden, [2, 3, 2], mask, 'mean', true);
    expect(norm(a!)).toBeCloseTo(1, 6);
    expect(Array.from(b!)).toEqual([0, 0]);
  });

  it('gives a zero vector when the real tokens pool to zero (only unknown tokens whose rows are zero)', () => {
    const [v] = poolTokenVectors([0, 0, 0, 0], [1, 2, 2], [1, 1], 'mean', true);
    expect(Array.from(v!)).toEqual([0, 0]);
  });

  it('takes the first token for cls pooling', () => {
    const [a, b] = poolTokenVectors(hidden, [2, 3, 2], [1, 1, 0, 1, 1, 1], 'cls', false);
    expect(Array.from(a!)).toEqual([1, 2]);
    expect(Array.from(b!)).toEqual([7, 7]);
  });

  it('pads do not change a row: the same input alone and padded in a batch pools the same', () => {
    const [alone] = poolTokenVectors([1, 2, 3, 4], [1, 2, 2], [1, 1], 'mean', true);
    const [padded] = poolTokenVectors([1, 2, 3, 4, 9, 9], [1, 3, 2], [1, 1, 0], 'mean', true);
    expect(Array.from(padded!)).toEqual(Array.from(alone!));
  });

  it('rejects a shape that does not match the data', () => {
    expect(() => poolTokenVectors([1, 2, 3], [1, 2, 2], [1, 1], 'mean', true)).toThrow();
  });
});

describe('splitSentenceVectors', () => {
  it('splits [batch, dims] rows and guards NaN', () => {
    const [a, b] = splitSentenceVectors([3, 4, NaN, 1], [2, 2], true);
    expect(norm(a!)).toBeCloseTo(1, 6);
    expect(Array.from(b!)).toEqual([0, 0]);
  });
});

describe('truncateVector', () => {
  it('keeps the first dims values and renormalises them to unit length', () => {
    const v = l2NormalizeInPlace(Float32Array.from([3, 4, 12]));
    const t = truncateVector(v, 2, true);
    expect(t).toHaveLength(2);
    expect(norm(t)).toBeCloseTo(1, 6);
    expect(Array.from(t)).toEqual([expect.closeTo(0.6, 6), expect.closeTo(0.8, 6)]);
    expect(v).toHaveLength(3); // the input is left alone
  });

  it('only slices when the model does not normalise, and keeps a zero prefix zero', () => {
    expect(Array.from(truncateVector(Float32Array.from([3, 4, 12]), 2, false))).toEqual([3, 4]);
    expect(Array.from(truncateVector(Float32Array.from([0, 0, 1]), 2, true))).toEqual([0, 0]);
  });

  it('refuses to grow a vector', () => {
    expect(() => truncateVector(new Float32Array(2), 3, true)).toThrow();
  });
});
