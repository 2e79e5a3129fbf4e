import { pageOfList, toListPage } from './list-page';

const items = Array.from({ length: 5 }, (_, i) => ({ id: `i${i}` }));
const ids = (page: { data: { id: string }[] } | null) => page?.data.map((x) => x.id);
const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `id-${i}`, n: i }));
const view = (r: { id: string; n: number }) => ({ id: r.id, value: r.n });

describe('toListPage', () => {
  it('returns limit items and has_more when the repository found one more row', () => {
    const page = toListPage(rows(3), 2, view);
    expect(page).toEqual({
      object: 'list',
      data: [
        { id: 'id-0', value: 0 },
        { id: 'id-1', value: 1 },
      ],
      has_more: true,
      first_id: 'id-0',
      last_id: 'id-1',
    });
  });

  it('says there is no more when the last page is exactly full', () => {
    const page = toListPage(rows(2), 2, view);
    expect(page.has_more).toBe(false);
    expect(page.last_id).toBe('id-1');
  });

  it('has null cursors for an empty page', () => {
    expect(toListPage(rows(0), 20, view)).toEqual({
      object: 'list',
      data: [],
      has_more: false,
      first_id: null,
      last_id: null,
    });
  });
});

describe('pageOfList', () => {
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
