/**
 * Pooling, normalisation and truncation of embedding vectors. Written by hand (a few loops) so that every step
 * is guarded: the models here return NaN for an input with nothing to pool (empty text, only unknown tokens), and
 * a response must never contain NaN. Such a vector becomes a zero vector, as Model2Vec itself returns.
 */

export type Pooling = 'mean' | 'cls';

/** Scales `v` to unit length in place; a vector with zero or non-finite length becomes all zeros. */
export function l2NormalizeInPlace(v: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i]! * v[i]!;
  const norm = Math.sqrt(sum);
  if (!(norm > 0) || !Number.isFinite(norm)) return v.fill(0);
  for (let i = 0; i < v.length; i++) v[i] = v[i]! / norm;
  return v;
}

/** Replaces a vector holding any NaN or infinity by zeros, in place. */
export function zeroIfNotFinite(v: Float32Array): Float32Array {
  for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i]!)) return v.fill(0);
  return v;
}

/**
 * Sentence vectors from token vectors `hidden` ([batch, tokens, dims], row-major) and the attention mask
 * ([batch, tokens], 1 for real tokens). `mean` averages the real tokens; `cls` takes the first token. A row with
 * no real token is a zero vector.
 */
export function poolTokenVectors(
  hidden: ArrayLike<number>,
  shape: readonly [number, number, number],
  mask: ArrayLike<number>,
  pooling: Pooling,
  normalize: boolean,
): Float32Array[] {
  const [batch, tokens, dims] = shape;
  if (hidden.length !== batch * tokens * dims) throw new Error(`hidden has ${hidden.length} values, not ${shape}`);
  const rows: Float32Array[] = [];
  for (let b = 0; b < batch; b++) {
    const row = new Float32Array(dims);
    if (pooling === 'cls') {
      if (mask[b * tokens]) for (let d = 0; d < dims; d++) row[d] = hidden[b * tokens * dims + d]!;
    } else {
      const sum = new Float64Array(dims);
      let count = 0;
      for (let t = 0; t < tokens; t++) {
        if (!mask[b * tokens + t]) continue;
        count++;
        const base = (b * tokens + t) * dims;
        for (let d = 0; d < dims; d++) sum[d] = sum[d]! + hidden[base + d]!;
      }
      if (count > 0) for (let d = 0; d < dims; d++) row[d] = sum[d]! / count;
    }
    rows.push(finish(row, normalize));
  }
  return rows;
}

/** Rows of a model that outputs sentence vectors itself ([batch, dims]). */
export function splitSentenceVectors(
  values: ArrayLike<number>,
  shape: readonly [number, number],
  normalize: boolean,
): Float32Array[] {
  const [batch, dims] = shape;
  if (values.length !== batch * dims) throw new Error(`output has ${values.length} values, not ${shape}`);
  return Array.from({ length: batch }, (_, b) => {
    const row = new Float32Array(dims);
    for (let d = 0; d < dims; d++) row[d] = values[b * dims + d]!;
    return finish(row, normalize);
  });
}

/** A vector as the API returns it: normalised when asked, zeros instead of NaN. */
export function finish(row: Float32Array, normalize: boolean): Float32Array {
  return normalize ? l2NormalizeInPlace(row) : zeroIfNotFinite(row);
}

/**
 * The first `dims` values of `v` (OpenAI's `dimensions` for Matryoshka models), renormalised to unit length when
 * the model's vectors are normalised. Returns a new array.
 */
export function truncateVector(v: Float32Array, dims: number, normalize: boolean): Float32Array {
  if (dims > v.length) throw new Error(`cannot truncate a ${v.length}-dimension vector to ${dims}`);
  return finish(v.slice(0, dims), normalize);
}
