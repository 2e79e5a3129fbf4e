import { decodeVectors, encodeVectors, float32ToBase64 } from './embedding-vectors';

describe('embedding vector wire format', () => {
  it('is base64 of little-endian float32, rows one after another', () => {
    const b64 = encodeVectors([Float32Array.from([1, -2]), [0.5, 3]], 2);
    const bytes = Buffer.from(b64, 'base64');
    expect(bytes).toHaveLength(16);
    expect([0, 4, 8, 12].map((o) => bytes.readFloatLE(o))).toEqual([1, -2, 0.5, 3]);
  });

  it('round-trips float32 values exactly', () => {
    const rows = [Float32Array.from([0.1, 0.2, -0.3]), Float32Array.from([1e-30, 3.4e38, -0])];
    const out = decodeVectors(encodeVectors(rows, 3), 2, 3);
    expect(Array.from(out.subarray(0, 3))).toEqual(Array.from(rows[0]!));
    expect(Array.from(out.subarray(3))).toEqual(Array.from(rows[1]!));
  });

  it('encodes a row as OpenAI’s base64 embedding: what the openai SDK decodes back to the floats', () => {
    const row = Float32Array.from([0.25, -1.5, 3.125]);
    const b64 = float32ToBase64(row);
    // The decoding the openai SDK applies to base64 embeddings.
    const decoded = Array.from(new Float32Array(Uint8Array.from(Buffer.from(b64, 'base64')).buffer));
    expect(decoded).toEqual([0.25, -1.5, 3.125]);
  });

  it('encodes a subarray without its neighbours', () => {
    const all = Float32Array.from([1, 2, 3, 4]);
    expect(decodeVectors(float32ToBase64(all.subarray(2)), 1, 2)).toEqual(Float32Array.from([3, 4]));
  });

  it('rejects rows of the wrong size and data of the wrong length', () => {
    expect(() => encodeVectors([[1, 2, 3]], 2)).toThrow('vector 0 has 3 dimensions, expected 2');
    expect(() => decodeVectors(encodeVectors([[1, 2]], 2), 2, 2)).toThrow();
  });
});
