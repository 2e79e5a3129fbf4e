import type { PayloadFieldType } from './lancedb-filter';
import { matchesFilter, toQdrantFilter } from './qdrant-filter';
import { VectorStoreError } from './vector-store.error';

const fields = new Map<string, PayloadFieldType>([
  ['user_id', 'string'],
  ['n', 'number'],
  ['flag', 'boolean'],
]);
const q = (f: Parameters<typeof toQdrantFilter>[0]) => toQdrantFilter(f, fields).filter;

describe('Qdrant filters', () => {
  it('writes equality as match value, lists as match any, numbers as ranges, booleans as match', () => {
    expect(q({ user_id: 'u' })).toEqual({ must: [{ key: 'user_id', match: { value: 'u' } }] });
    expect(q({ user_id: ['a', 'b', 'a'] })).toEqual({ must: [{ key: 'user_id', match: { any: ['a', 'b'] } }] });
    expect(q({ n: 3, flag: false })).toEqual({
      must: [
        { key: 'n', range: { gte: 3, lte: 3 } },
        { key: 'flag', match: { value: false } },
      ],
    });
    expect(q({ n: { $gt: 1, $lte: 5 } })).toEqual({
      must: [
        { key: 'n', range: { gt: 1 } },
        { key: 'n', range: { lte: 5 } },
      ],
    });
    expect(q({})).toEqual({});
  });

  it('gives null the port meaning: no value is is_empty, $ne and $nin match records without the field', () => {
    expect(q({ user_id: null })).toEqual({ must: [{ is_empty: { key: 'user_id' } }] });
    expect(q({ user_id: ['a', null] })).toEqual({
      should: [{ key: 'user_id', match: { value: 'a' } }, { is_empty: { key: 'user_id' } }],
    });
    expect(q({ n: { $ne: 3 } })).toEqual({ must_not: [{ key: 'n', range: { gte: 3, lte: 3 } }] });
    expect(q({ user_id: { $nin: ['a', null] } })).toEqual({
      must_not: [{ key: 'user_id', match: { value: 'a' } }, { is_empty: { key: 'user_id' } }],
    });
    expect(q({ n: { $ne: 'x' } })).toEqual({});
    expect(q({ n: { $nin: [] } })).toEqual({});
  });

  it('matches nothing for an empty list, another type, a field never stored, or an empty $or', () => {
    expect(q({ user_id: [] })).toBe(false);
    expect(q({ n: '3' })).toBe(false);
    expect(q({ n: Number.NaN })).toBe(false);
    expect(q({ missing: 'x' })).toBe(false);
    expect(q({ n: { $gt: '1' } })).toBe(false);
    expect(q({ user_id: 'u', $or: [] })).toBe(false);
    // Every record has no value in a field never stored.
    expect(q({ missing: null, n: 1 })).toEqual({ must: [{ key: 'n', range: { gte: 1, lte: 1 } }] });
    expect(q({ missing: { $nin: [null] } })).toBe(false);
  });

  it('nests $and and $or as must and should', () => {
    expect(q({ user_id: 'u', $or: [{ n: 1 }, { flag: true, n: { $gt: 5 } }] })).toEqual({
      must: [
        { key: 'user_id', match: { value: 'u' } },
        {
          should: [
            { key: 'n', range: { gte: 1, lte: 1 } },
            {
              must: [
                { key: 'flag', match: { value: true } },
                { key: 'n', range: { gt: 5 } },
              ],
            },
          ],
        },
      ],
    });
    expect(q({ $or: [{ n: 1 }, { missing: null }] })).toEqual({});
    expect(q({ $and: [{ n: 1 }, { $or: [] }] })).toBe(false);
  });

  it('sends a string comparison as "has a value" and checks it on the payload', () => {
    const t = toQdrantFilter({ user_id: { $gte: 'b' } }, fields);
    expect(t).toEqual({ filter: { must_not: [{ is_empty: { key: 'user_id' } }] }, recheck: true });
    expect(toQdrantFilter({ n: 1 }, fields).recheck).toBe(false);
    const f = { user_id: { $gte: 'b', $lt: 'd' }, $or: [{ n: { $ne: 2 } }, { flag: true }] };
    expect(matchesFilter(f, { user_id: 'c', n: 1 }, fields)).toBe(true);
    expect(matchesFilter(f, { user_id: 'c', n: 2 }, fields)).toBe(false);
    expect(matchesFilter(f, { user_id: 'c', n: 2, flag: true }, fields)).toBe(true);
    expect(matchesFilter(f, { user_id: 'a' }, fields)).toBe(false);
    expect(matchesFilter(f, {}, fields)).toBe(false);
    // By code point: U+1F600 (a surrogate pair in UTF-16) is after U+FF5E.
    expect(matchesFilter({ user_id: { $gt: '\uff5e' } }, { user_id: '\u{1f600}' }, fields)).toBe(true);
  });

  it('refuses unknown operators and names that are not plain identifiers', () => {
    expect(() => q({ n: { $like: 'x' } as never })).toThrow(/unknown filter operator/);
    expect(() => q({ 'a.b': 'x' })).toThrow(VectorStoreError);
    expect(() => q({ id: 'x' })).toThrow(VectorStoreError);
  });
});
