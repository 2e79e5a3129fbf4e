import { attributeField } from '../chunks/chunk-vectors';
import { toAttributeSql, toVectorFilter } from './attribute-filter';

describe('attribute filters', () => {
  it('targets the payload field of the value type', () => {
    expect(toVectorFilter({ type: 'eq', key: 'Author', value: 'ann' })).toEqual({
      [attributeField('Author', 's')]: { $eq: 'ann' },
    });
    expect(toVectorFilter({ type: 'gte', key: 'year', value: 2020 })).toEqual({
      [attributeField('year', 'n')]: { $gte: 2020 },
    });
    expect(toVectorFilter({ type: 'gt', key: 'flag', value: true })).toEqual({ $or: [] });
  });

  it('splits mixed-type lists by type and nests compounds', () => {
    expect(toVectorFilter({ type: 'in', key: 'k', value: ['a', 1] })).toEqual({
      $or: [{ [attributeField('k', 's')]: { $in: ['a'] } }, { [attributeField('k', 'n')]: { $in: [1] } }],
    });
    expect(
      toVectorFilter({
        type: 'or',
        filters: [
          { type: 'nin', key: 'k', value: ['a'] },
          { type: 'and', filters: [{ type: 'ne', key: 'x', value: false }] },
        ],
      }),
    ).toEqual({
      $or: [
        { $and: [{ [attributeField('k', 's')]: { $nin: ['a'] } }] },
        { $and: [{ [attributeField('x', 'b')]: { $ne: false } }] },
      ],
    });
  });

  it('writes parameterised SQL over the attributes column', () => {
    const { sql, params } = toAttributeSql(
      {
        type: 'and',
        filters: [
          { type: 'eq', key: "o'k", value: 'x' },
          { type: 'lt', key: 'n', value: 3 },
        ],
      },
      5,
    );
    expect(params).toEqual(["o'k", '"x"', 'n', 3]);
    expect(sql).toContain('$5::text');
    expect(sql).toContain('$8::numeric');
    expect(sql).not.toContain("o'k");
  });
});
