import { PayloadFieldType, andSql, filterFields, filterToSql, idsIn, isEmptyFilter, sqlString } from './lancedb-filter';
import { VectorStoreError } from './vector-store.error';

const columns = new Map<string, PayloadFieldType>([
  ['user_id', 'string'],
  ['n', 'number'],
  ['flag', 'boolean'],
]);

describe('LanceDB filters', () => {
  it('quotes string values, doubling quotes, whatever they contain', () => {
    expect(sqlString("O'Brien")).toBe("'O''Brien'");
    const hostile = "x' OR 1=1 --";
    expect(filterToSql({ user_id: hostile }, columns)).toBe("`user_id` = 'x'' OR 1=1 --'");
  });

  it('writes numbers, booleans, any-of lists and null conditions', () => {
    expect(filterToSql({ n: 3, flag: false }, columns)).toBe('`n` = 3 AND `flag` = FALSE');
    expect(filterToSql({ user_id: ['a', 'b', 'a'] }, columns)).toBe("`user_id` IN ('a', 'b')");
    expect(filterToSql({ user_id: null }, columns)).toBe('`user_id` IS NULL');
    expect(filterToSql({ user_id: ['a', null] }, columns)).toBe("(`user_id` = 'a' OR `user_id` IS NULL)");
    expect(filterToSql({}, columns)).toBeNull();
  });

  it('matches nothing for an empty list, a value of another type, or a field never stored', () => {
    expect(filterToSql({ user_id: [] }, columns)).toBe(false);
    expect(filterToSql({ n: '3' }, columns)).toBe(false);
    expect(filterToSql({ n: Number.NaN }, columns)).toBe(false);
    expect(filterToSql({ missing: 'x' }, columns)).toBe(false);
    // Every record has a field it never stored as null.
    expect(filterToSql({ missing: null, n: 1 }, columns)).toBe('`n` = 1');
  });

  it('refuses field names that are not plain identifiers', () => {
    expect(() => filterToSql({ 'user_id = user_id OR 1': 'x' }, columns)).toThrow(VectorStoreError);
    expect(() => filterToSql({ id: 'x' }, columns)).toThrow(/not id, vector, text/);
    expect(() => filterToSql({ User: 'x' }, columns)).toThrow(VectorStoreError);
  });

  it('combines predicates', () => {
    expect(idsIn(['a', "b'"], true)).toBe("id NOT IN ('a', 'b''')");
    expect(idsIn([])).toBe(false);
    expect(andSql("`a` = 'x'", null, 'id IN (1)')).toBe("(`a` = 'x') AND (id IN (1))");
    expect(andSql(null, null)).toBeNull();
    expect(andSql('x', false)).toBe(false);
  });
});

describe('LanceDB filter operators', () => {
  it('writes comparisons of the column type, and nothing matches another type', () => {
    expect(filterToSql({ n: { $gt: 1, $lte: 5 } }, columns)).toBe('`n` > 1 AND `n` <= 5');
    expect(filterToSql({ user_id: { $gte: 'b' } }, columns)).toBe("`user_id` >= 'b'");
    expect(filterToSql({ n: { $gt: '1' } }, columns)).toBe(false);
    expect(filterToSql({ missing: { $lt: 3 } }, columns)).toBe(false);
  });

  it('lets $ne and $nin match records without the field', () => {
    expect(filterToSql({ n: { $ne: 3 } }, columns)).toBe('(`n` IS NULL OR `n` <> 3)');
    expect(filterToSql({ n: { $nin: [1, 2] } }, columns)).toBe('(`n` IS NULL OR `n` NOT IN (1, 2))');
    expect(filterToSql({ n: { $nin: [1, null] } }, columns)).toBe('(`n` IS NOT NULL AND `n` <> 1)');
    expect(filterToSql({ n: { $ne: 'x' } }, columns)).toBeNull();
    expect(filterToSql({ missing: { $ne: 'x' } }, columns)).toBeNull();
    expect(filterToSql({ missing: { $nin: [null] } }, columns)).toBe(false);
    expect(filterToSql({ n: { $in: [] } }, columns)).toBe(false);
    expect(filterToSql({ n: { $nin: [] } }, columns)).toBeNull();
  });

  it('nests $and and $or with the precedence kept', () => {
    expect(filterToSql({ user_id: 'u', $or: [{ n: 1 }, { flag: true, n: { $gt: 5 } }] }, columns)).toBe(
      "`user_id` = 'u' AND ((`n` = 1) OR (`flag` = TRUE AND `n` > 5))",
    );
    expect(filterToSql({ $and: [{ n: 1 }, { $or: [] }] }, columns)).toBe(false);
    expect(filterToSql({ $or: [{ n: 1 }, { missing: null }] }, columns)).toBeNull();
    expect(filterToSql({ $and: [{ n: 1 }, { flag: false }] }, columns)).toBe('((`n` = 1) AND (`flag` = FALSE))');
  });

  it('refuses unknown operators and names the fields a filter uses', () => {
    expect(() => filterToSql({ n: { $like: 'x' } as never }, columns)).toThrow(/unknown filter operator/);
    expect(filterFields({ a: 1, $or: [{ b: 2 }, { $and: [{ c: 3 }] }] })).toEqual(['a', 'b', 'c']);
    expect(isEmptyFilter({})).toBe(true);
    expect(isEmptyFilter({ $or: [] })).toBe(false);
  });
});
