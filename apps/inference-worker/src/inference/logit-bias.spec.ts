import { InferenceErrorCode } from '@llmp/contracts';
import { GenerationError } from './generation-error';
import { resolveLogitBias } from './logit-bias';

function errorOf(fn: () => unknown): GenerationError {
  try {
    fn();
  } catch (err) {
    if (err instanceof GenerationError) return err;
    throw err;
  }
  throw new Error('expected a GenerationError');
}

describe('resolveLogitBias', () => {
  it('maps token id keys to their biases and leaves zero biases out', () => {
    expect([...resolveLogitBias({ '0': -100, '42': 2.5, '7': 0, '511': 100 }, 'm', 512)]).toEqual([
      [0, -100],
      [42, 2.5],
      [511, 100],
    ]);
    expect(resolveLogitBias(undefined, 'm', 512).size).toBe(0);
  });

  it('rejects an id outside the vocabulary as an invalid request naming logit_bias', () => {
    const err = errorOf(() => resolveLogitBias({ '3': 1, '512': 1 }, 'stories', 512));
    expect(err.code).toBe(InferenceErrorCode.InvalidRequest);
    expect(err.param).toBe('logit_bias');
    expect(err.message).toContain('512');
    expect(err.message).toContain('0 to 511');
    expect(errorOf(() => resolveLogitBias({ '99999999999999999999': 1 }, 'm', 512)).code).toBe(
      InferenceErrorCode.InvalidRequest,
    );
  });

  it('refuses biases for a model whose vocabulary size is unknown instead of ignoring them', () => {
    expect(errorOf(() => resolveLogitBias({ '1': 1 }, 'm', null)).code).toBe(InferenceErrorCode.UnsupportedCapability);
    expect(resolveLogitBias({}, 'm', null).size).toBe(0);
  });
});
