import type { ListPage } from '@llmp/contracts';

/**
 * OpenAI-style cursor lists. The cursor is the id of the last item of the previous page (`after`); repositories
 * page by keyset (on (created_at, id), say) and fetch `limit + 1` rows after the cursor in the requested order, so
 * `has_more` needs no count.
 */
export function toListPage<R, V extends { id: string }>(rows: R[], limit: number, toView: (row: R) => V): ListPage<V> {
  const data = rows.slice(0, limit).map(toView);
  return {
    object: 'list',
    data,
    has_more: rows.length > limit,
    first_id: data[0]?.id ?? null,
    last_id: data[data.length - 1]?.id ?? null,
  };
}

/** Pages an in-memory list (a stored response's input items, say): `after` is an id of the list; null if absent. */
export function pageOfList<T extends { id: string }>(
  all: T[],
  query: { limit: number; after?: string; order: 'asc' | 'desc' },
): ListPage<T> | null {
  const ordered = query.order === 'asc' ? all : [...all].reverse();
  let start = 0;
  if (query.after !== undefined) {
    const at = ordered.findIndex((x) => x.id === query.after);
    if (at < 0) return null;
    start = at + 1;
  }
  return toListPage(ordered.slice(start, start + query.limit + 1), query.limit, (x) => x);
}
