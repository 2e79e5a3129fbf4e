import { EmbeddingsRequestSchema, embeddingInputs } from './embeddings.dto';

function issue(body: Record<string, unknown>): { path: string; message: string } | null {
  const parsed = EmbeddingsRequestSchema.safeParse({ model: 'm', ...body });
  if (parsed.success) return null;
  const first = parsed.error.issues[0]!;
  return { path: first.path.join('.'), message: first.message };
}

describe('EmbeddingsRequestSchema', () => {
  it('accepts the four input shapes of OpenAI', () => {
    for (const input of ['text', ['a', 'b'], [1, 2, 3], [[1, 2], [3]]]) expect(issue({ input })).toBeNull();
  });

  it('rejects empty input, naming the item', () => {
    expect(issue({ input: '' })).toEqual({ path: 'input', message: 'input must not be an empty string' });
    expect(issue({ input: [] })).toEqual({ path: 'input', message: 'input must not be an empty array' });
    expect(issue({ input: ['a', ''] })).toEqual({ path: 'input.1', message: 'input[1] must not be an empty string' });
    expect(issue({ input: [[1], []] })?.path).toBe('input.1');
  });

  it('rejects more than 2048 inputs, stating the limit; a long token array is one input', () => {
    expect(issue({ input: Array.from({ length: 2049 }, () => 'x') })?.message).toBe(
      'input may contain at most 2048 items; it has 2049',
    );
    expect(issue({ input: Array.from({ length: 2048 }, () => 'x') })).toBeNull();
    expect(issue({ input: Array.from({ length: 3000 }, () => 7) })).toBeNull();
  });

  it('rejects negative or fractional token ids at their index, and mixed arrays', () => {
    expect(issue({ input: [1, -1] })?.path).toBe('input.1');
    expect(issue({ input: [[1], [2.5]] })?.path).toBe('input.1.0');
    expect(issue({ input: ['a', 1] })?.message).toMatch(/input must be a string, an array of strings/);
  });

  it('checks encoding_format and dimensions', () => {
    expect(issue({ input: 'x', encoding_format: 'float' })).toBeNull();
    expect(issue({ input: 'x', encoding_format: 'base64' })).toBeNull();
    expect(issue({ input: 'x', encoding_format: 'hex' })?.path).toBe('encoding_format');
    expect(issue({ input: 'x', dimensions: 0 })?.path).toBe('dimensions');
    expect(issue({ input: 'x', dimensions: 1.5 })?.path).toBe('dimensions');
    expect(issue({ input: 'x', dimensions: null, encoding_format: null })).toBeNull();
  });
});

describe('embeddingInputs', () => {
  it('makes one input of a string or of one token array, and keeps arrays of either', () => {
    expect(embeddingInputs('a')).toEqual(['a']);
    expect(embeddingInputs([1, 2])).toEqual([[1, 2]]);
    expect(embeddingInputs(['a', 'b'])).toEqual(['a', 'b']);
    expect(embeddingInputs([[1], [2, 3]])).toEqual([[1], [2, 3]]);
  });
});
