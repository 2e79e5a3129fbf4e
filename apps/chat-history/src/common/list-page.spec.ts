import { pageOfList, toListPage } from './list-page';

const items = Array.from({ length: 5 }, (_, i) => ({ id: `i${i}` }));
const ids = (page: { data: { id: string }[] } | null) => page?.data.map((x) => x.id);

describe('list pages', () => {
  it('reports has_more when the repository found one row more than the limit', () => {
    expect(toListPage(items.slice(0, 3), 2, (x) => x)).toEqual({
      object: 'list',
      data: items.slice(0, 2),
      has_more: true,
      first_id: 'i0',
      last_id: 'i1',
    });
    expect(toListPage([], 20, (x) => x)).toEqual({
      object: 'list',
      data: [],
      has_more: false,
      first_id: null,
      last_id: null,
    });
  });

  it('pages an in-memory list in both orders after a cursor', () => {
    expect(ids(pageOfList(items, { limit: 2, order: 'desc' }))).toEqual(['i4', 'i3']);
    expect(ids(pageOfList(items, { limit: 2, order: 'desc', after: 'i3' }))).toEqual(['i2', 'i1']);
    expect(ids(pageOfList(items, { limit: 2, order: 'asc', after: 'i2' }))).toEqual(['i3', 'i4']);
    expect(pageOfList(items, { limit: 2, order: 'asc', after: 'i2' })!.has_more).toBe(false);
    expect(pageOfList(items, { limit: 2, order: 'asc', after: 'i1' })!.has_more).toBe(true);
  });

  it('answers null for a cursor that is not in the list', () => {
    expect(pageOfList(items, { limit: 2, order: 'asc', after: 'nope' })).toBeNull();
  });
});
