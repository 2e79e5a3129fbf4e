import { EmbeddingModelDefinitionSchema } from '@llmp/platform';
import type { EmbeddingBackend } from '../backends/embedding-backend';
import { l2NormalizeInPlace } from '../backends/vector-math';
import type { LoadedEmbeddingModel } from '../models/embedding-model-host.service';
import { Batcher } from './batcher';
import { EmbeddingError } from './embedding-error';
import { EmbeddingService } from './embedding.service';

/** A toy model: one token per word (its length), a 4-dimension vector from the token ids. */
class ToyBackend implements EmbeddingBackend {
  readonly dims = 4;
  readonly vocabSize = 100;
  readonly calls: number[][][] = [];
  tokenize(texts: readonly string[]): number[][] {
    return texts.map((t) =>
      t
        .split(/\s+/)
        .filter(Boolean)
        .map((w) => w.length),
    );
  }
  countTokens(inputs: readonly (readonly number[])[]): number[] {
    return inputs.map((ids) => ids.length);
  }
  async embed(inputs: readonly (readonly number[])[]): Promise<Float32Array[]> {
    this.calls.push(inputs.map((i) => [...i]));
    return inputs.map((ids) => l2NormalizeInPlace(Float32Array.from([ids.length, ids[0] ?? 0, 1, 2])));
  }
  async dispose(): Promise<void> {}
}

function toyModel(extra: Record<string, unknown> = {}) {
  const backend = new ToyBackend();
  const definition = EmbeddingModelDefinitionSchema.parse({
    id: 'toy',
    kind: 'embedding',
    path: '/toy',
    dimensions: 4,
    max_tokens: 5,
    ...extra,
  });
  const batcher = new Batcher((inputs: readonly (readonly number[])[]) => backend.embed(inputs), {
    maxBatchSize: 64,
    maxWaitMs: 0,
  });
  const model: LoadedEmbeddingModel = { id: 'toy', definition, backend, batcher };
  return { model, backend };
}

async function rejection(p: Promise<unknown>): Promise<EmbeddingError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof EmbeddingError) return err;
    throw err;
  }
  throw new Error('expected an EmbeddingError');
}

describe('EmbeddingService', () => {
  const service = new EmbeddingService();
  const payload = (inputs: (string | number[])[], dimensions?: number) => ({
    requestId: 'r',
    model: 'toy',
    inputs,
    dimensions,
  });

  it('keeps the order of mixed text and token-id inputs and counts their tokens', async () => {
    const { model, backend } = toyModel();
    const out = await service.embed(model, payload(['aa bbb', [7, 8, 9], 'c']));
    expect(backend.calls).toEqual([[[2, 3], [7, 8, 9], [1]]]);
    expect(out).toMatchObject({ dims: 4, count: 3, promptTokens: 6 });
    expect(out.vectors).toHaveLength(12);
  });

  it('rejects an input over max_tokens, naming its index and the limit, before anything runs', async () => {
    const { model, backend } = toyModel();
    const err = await rejection(service.embed(model, payload(['ok', 'a b c d e f'])));
    expect(err).toMatchObject({ code: 'input_too_long', param: 'input[1]' });
    expect(err.message).toContain('5 tokens');
    expect(err.message).toContain('6 tokens');
    expect(backend.calls).toHaveLength(0);
  });

  it('rejects a token id outside the vocabulary', async () => {
    const { model } = toyModel();
    const err = await rejection(service.embed(model, payload([[1], [2, 100]])));
    expect(err).toMatchObject({ code: 'invalid_input', param: 'input[1]' });
  });

  it('truncates and renormalises to dimensions on a Matryoshka model, and refuses it otherwise', async () => {
    const { model } = toyModel({ matryoshka: true });
    const out = await service.embed(model, payload(['aa bbb'], 2));
    expect(out.dims).toBe(2);
    expect(Math.hypot(out.vectors[0]!, out.vectors[1]!)).toBeCloseTo(1, 6);
    const plain = toyModel().model;
    expect(await rejection(service.embed(plain, payload(['x'], 2)))).toMatchObject({
      code: 'invalid_input',
      param: 'dimensions',
    });
    expect(await rejection(service.embed(model, payload(['x'], 5)))).toMatchObject({ param: 'dimensions' });
  });

  it('embeds concurrent jobs in one model call', async () => {
    const { model, backend } = toyModel();
    const [a, b] = await Promise.all([
      service.embed(model, payload(['one'])),
      service.embed(model, payload(['two words', 'three more words'])),
    ]);
    expect(backend.calls).toHaveLength(1);
    expect(a.count).toBe(1);
    expect(b.count).toBe(2);
  });

  describe('a job of several requests (groups)', () => {
    const grouped = (inputs: (string | number[])[], groups: number[]) => ({ ...payload(inputs), groups });

    it('gives each input its own token count and each group its vectors, in order', async () => {
      const { model, backend } = toyModel();
      const alone = await service.embed(model, payload(['two words']));
      const out = await service.embed(model, grouped(['one', 'two words', [3, 4, 5]], [1, 2]));
      expect(backend.calls[1]).toEqual([[3], [3, 5], [3, 4, 5]]);
      expect(out).toMatchObject({ count: 3, promptTokens: 6, tokens: [1, 2, 3], errors: [] });
      expect(Array.from(out.vectors.subarray(4, 8))).toEqual(Array.from(alone.vectors));
    });

    it('fails only the group with an invalid input, with the message that group alone would get', async () => {
      const { model, backend } = toyModel();
      const alone = await rejection(service.embed(model, payload(['fine', 'a b c d e f'])));
      const aloneIds = await rejection(service.embed(model, payload([[1], [2, 100]])));
      const out = await service.embed(
        model,
        grouped(['ok', 'fine', 'a b c d e f', [1], [2, 100], 'last one'], [1, 2, 2, 1]),
      );
      expect(out.errors).toEqual([
        { group: 1, code: alone.code, message: alone.message, param: 'input[1]' },
        { group: 2, code: aloneIds.code, message: aloneIds.message, param: 'input[1]' },
      ]);
      expect(backend.calls.at(-1)).toEqual([[2], [4, 3]]);
      expect(out).toMatchObject({ count: 6, promptTokens: 3, tokens: [1, 0, 0, 0, 0, 2] });
      expect(Array.from(out.vectors.subarray(4, 20)).every((x) => x === 0)).toBe(true);
      expect(out.vectors[20]).not.toBe(0);
    });

    it('refuses groups that do not add up to the inputs', async () => {
      const { model } = toyModel();
      expect(await rejection(service.embed(model, grouped(['a', 'b'], [1])))).toMatchObject({ param: 'groups' });
    });
  });
});
