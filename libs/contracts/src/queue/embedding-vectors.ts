/**
 * The wire format of embedding vectors: base64 of little-endian float32 values, rows one after another. It is also
 * OpenAI's `encoding_format: "base64"` for one row, so the gateway hands out slices of it as they are.
 */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Encodes rows of equal length (`dims`) as one base64 string of little-endian float32. */
export function encodeVectors(rows: readonly ArrayLike<number>[], dims: number): string {
  const out = new Float32Array(rows.length * dims);
  rows.forEach((row, i) => {
    if (row.length !== dims) throw new Error(`vector ${i} has ${row.length} dimensions, expected ${dims}`);
    out.set(row, i * dims);
  });
  return float32ToBase64(out);
}

/** Decodes `encodeVectors` output into one row-major Float32Array of `count` × `dims` values. */
export function decodeVectors(base64: string, count: number, dims: number): Float32Array {
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length !== count * dims * 4) {
    throw new Error(`vectors hold ${bytes.length} bytes, expected ${count} x ${dims} float32`);
  }
  const out = new Float32Array(count * dims);
  if (LITTLE_ENDIAN) {
    new Uint8Array(out.buffer).set(bytes);
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  }
  return out;
}

/** base64 of the little-endian bytes of `values` (OpenAI's base64 embedding format). */
export function float32ToBase64(values: Float32Array): string {
  if (LITTLE_ENDIAN) return Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64');
  const bytes = Buffer.alloc(values.length * 4);
  for (let i = 0; i < values.length; i++) bytes.writeFloatLE(values[i]!, i * 4);
  return bytes.toString('base64');
}
