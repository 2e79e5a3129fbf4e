import { UnsupportedSchemaError, toGrammarSchema } from './grammar-schema';

function refusal(schema: unknown): { keyword: string; pointer: string } {
  try {
    toGrammarSchema(schema);
  } catch (err) {
    expect(err).toBeInstanceOf(UnsupportedSchemaError);
    const e = err as UnsupportedSchemaError;
    return { keyword: e.keyword, pointer: e.pointer };
  }
  throw new Error('expected a refusal');
}

describe('toGrammarSchema', () => {
  it('keeps the constraints the grammar expresses and drops annotations', () => {
    expect(
      toGrammarSchema({
        $schema: 'http://json-schema.org/draft-07/schema#',
        title: 'Person',
        type: 'object',
        properties: {
          name: { type: 'string', maxLength: 20, description: 'the name', default: 'x' },
          kind: { type: 'string', enum: ['a', 'b'] },
          tags: { type: 'array', items: { type: 'string' }, maxItems: 3 },
          born: { type: 'string', format: 'date' },
          either: { anyOf: [{ type: 'integer' }, { type: 'null' }] },
        },
        required: ['name'],
        additionalProperties: false,
      }),
    ).toEqual({
      type: 'object',
      properties: {
        name: { type: 'string', maxLength: 20, description: 'the name' },
        kind: { enum: ['a', 'b'] },
        tags: { type: 'array', items: { type: 'string' }, maxItems: 3 },
        born: { type: 'string', format: 'date' },
        either: { oneOf: [{ type: 'integer' }, { type: 'null' }] },
      },
      required: ['name'],
      additionalProperties: false,
    });
  });

  it('resolves definitions to $defs and nullable to a null alternative', () => {
    expect(
      toGrammarSchema({
        type: 'object',
        properties: { a: { $ref: '#/definitions/A' }, b: { type: 'string', nullable: true } },
        definitions: { A: { type: 'integer' } },
      }),
    ).toEqual({
      type: 'object',
      properties: { a: { $ref: '#/$defs/A' }, b: { type: ['string', 'null'] } },
      $defs: { A: { type: 'integer' } },
    });
  });

  it('keeps the enum values of the declared type only', () => {
    expect(toGrammarSchema({ type: 'string', enum: ['a', 1] })).toEqual({ enum: ['a'] });
    expect(refusal({ type: 'string', enum: [1] })).toEqual({ keyword: 'enum', pointer: '' });
  });

  it.each([
    [{ type: 'string', pattern: '^a$' }, 'pattern', ''],
    [{ type: 'object', properties: { n: { type: 'number', minimum: 1 } } }, 'minimum', '/properties/n'],
    [{ allOf: [{ type: 'string' }] }, 'allOf', ''],
    [{ type: 'string', format: 'email' }, 'format', '/format'],
    [{ type: 'object', properties: { x: {} } }, '(any value)', '/properties/x'],
    [{ $ref: 'http://example.com/s.json' }, '$ref', ''],
    [{ type: ['object', 'null'] }, 'type', ''],
    [{ type: 'integer', maxLength: 3 }, 'maxLength', ''],
    [{ type: 'array', uniqueItems: true }, 'uniqueItems', ''],
  ])('refuses %j naming %s at %j', (schema, keyword, pointer) => {
    expect(refusal(schema)).toEqual({ keyword, pointer });
  });
});
