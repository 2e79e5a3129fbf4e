import { encodeVectors } from '@llmp/contracts';
import { ApiError, EmbeddingModelDefinitionSchema } from '@llmp/platform';
import { resolveDimensions, toResponse } from './embeddings.service';

const model = (extra: Record<string, unknown> = {}) =>
  EmbeddingModelDefinitionSchema.parse({ id: 'e', kind: 'embedding', path: '/e', dimensions: 8, ...extra });

describe('resolveDimensions', () => {
  it('uses the native size when dimensions is absent or equal to it', () => {
    expect(resolveDimensions(model(), null)).toBe(8);
    expect(resolveDimensions(model(), 8)).toBe(8);
  });

  it('allows fewer dimensions only on a Matryoshka model', () => {
    expect(resolveDimensions(model({ matryoshka: true }), 4)).toBe(4);
    expect(() => resolveDimensions(model(), 4)).toThrow(ApiError);
    expect(() => resolveDimensions(model(), 4)).toThrow(/native 8/);
  });

  it('never allows more than the native size', () => {
    let caught: unknown;
    try {
      resolveDimensions(model({ matryoshka: true }), 9);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ApiError);
    expect((caught as ApiError).param).toBe('dimensions');
    expect((caught as ApiError).status).toBe(400);
  });
});

describe('toResponse', () => {
  const rows = [Float32Array.from([0.5, -0.25]), Float32Array.from([1, 0])];
  const ev = { vectors: encodeVectors(rows, 2), dims: 2, count: 2, promptTokens: 7 };

  it('is OpenAI’s list of float embeddings with usage', () => {
    expect(toResponse('m', ev, 'float')).toEqual({
      object: 'list',
      data: [
        { object: 'embedding', index: 0, embedding: [0.5, -0.25] },
        { object: 'embedding', index: 1, embedding: [1, 0] },
      ],
      model: 'm',
      usage: { prompt_tokens: 7, total_tokens: 7 },
    });
  });

  it('gives each vector as base64 of its own little-endian float32 bytes', () => {
    const res = toResponse('m', ev, 'base64');
    const decode = (s: string) => {
      const b = Buffer.from(s, 'base64');
      return [b.readFloatLE(0), b.readFloatLE(4)];
    };
    expect(res.data.map((d) => decode(d.embedding as string))).toEqual([
      [0.5, -0.25],
      [1, 0],
    ]);
  });

  it('serves a single vector as the wire bytes themselves, and refuses vectors of the wrong size', () => {
    const one = { vectors: encodeVectors([rows[0]!], 2), dims: 2, count: 1, promptTokens: 3 };
    expect(toResponse('m', one, 'base64').data[0]!.embedding).toBe(one.vectors);
    expect(() => toResponse('m', { ...ev, count: 3 }, 'base64')).toThrow(/expected 3 x 2 float32/);
    expect(() => toResponse('m', { ...ev, count: 3 }, 'float')).toThrow(/expected 3 x 2 float32/);
  });
});
