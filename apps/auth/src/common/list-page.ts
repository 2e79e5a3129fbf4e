import type { ListPage } from '@llmp/contracts';

/**
 * OpenAI-style cursor lists. The cursor is the id of the last item of the previous page (`after`); repositories
 * page by keyset on (created_at, id), newest first, and fetch `limit + 1` rows so `has_more` needs no count.
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
