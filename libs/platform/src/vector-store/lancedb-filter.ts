import type { PayloadValue, VectorFilter } from './vector-store';
import { VectorStoreError, VectorStoreErrorCode } from './vector-store.error';

/** The column type a payload field gets from its first non-null value. */
export type PayloadFieldType = 'string' | 'number' | 'boolean';

/** Columns every collection has; payload fields may not use these names. */
export const RESERVED_COLUMNS: ReadonlySet<string> = new Set(['id', 'vector', 'text']);

const NAME = /^[a-z][a-z0-9_]{0,62}$/;

/** Collection and payload field names: lower snake_case, so they are safe as SQL identifiers and file names. */
export function checkName(kind: 'collection' | 'payload field', name: string): void {
  if (!NAME.test(name) || (kind === 'payload field' && RESERVED_COLUMNS.has(name))) {
    throw new VectorStoreError(
      VectorStoreErrorCode.InvalidArgument,
      `invalid ${kind} name ${JSON.stringify(name)}: use 1-63 of a-z, 0-9 and _, starting with a letter` +
        (kind === 'payload field' ? `, not ${[...RESERVED_COLUMNS].join(', ')}` : ''),
    );
  }
}

export function payloadFieldType(value: PayloadValue): PayloadFieldType | null {
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number') return 'number';
  if (typeof value === 'boolean') return 'boolean';
  return null;
}

/** A SQL string literal: the value between single quotes, each quote doubled (the only escape SQL has). */
export function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

function sqlLiteral(value: string | number | boolean): string {
  if (typeof value === 'string') return sqlString(value);
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  // Finite numbers only (checked by the caller); exponent notation is valid SQL.
  return String(value);
}

/** `<column> IN (…)` over string ids, or `false` for none. */
export function idsIn(ids: readonly string[], negate = false): string | false {
  if (!ids.length) return false;
  return `id ${negate ? 'NOT IN' : 'IN'} (${ids.map(sqlString).join(', ')})`;
}

/**
 * The SQL predicate of a filter over the collection's payload columns: a string, `null` when every record matches,
 * or `false` when none can. Every value is written as a literal of the column's type (strings quoted and escaped),
 * never spliced in raw; a field the collection has never stored is null in every record.
 */
export function filterToSql(
  filter: VectorFilter,
  columns: ReadonlyMap<string, PayloadFieldType>,
): string | null | false {
  const conditions: string[] = [];
  for (const [field, condition] of Object.entries(filter)) {
    checkName('payload field', field);
    const values: readonly PayloadValue[] = Array.isArray(condition) ? condition : [condition as PayloadValue];
    if (!values.length) return false;
    const matchesNull = values.includes(null);
    const type = columns.get(field);
    if (!type) {
      if (matchesNull) continue;
      return false;
    }
    const literals = [
      ...new Set(
        values
          .filter((v): v is string | number | boolean => v !== null && payloadFieldType(v) === type)
          .filter((v) => typeof v !== 'number' || Number.isFinite(v))
          .map(sqlLiteral),
      ),
    ];
    const column = `\`${field}\``;
    const clauses: string[] = [];
    if (literals.length === 1) clauses.push(`${column} = ${literals[0]}`);
    if (literals.length > 1) clauses.push(`${column} IN (${literals.join(', ')})`);
    if (matchesNull) clauses.push(`${column} IS NULL`);
    if (!clauses.length) return false;
    conditions.push(clauses.length === 1 ? clauses[0]! : `(${clauses.join(' OR ')})`);
  }
  return conditions.length ? conditions.join(' AND ') : null;
}

/** Joins predicates with AND; `false` if any is `false`, `null` if there are none. */
export function andSql(...parts: (string | null | false)[]): string | null | false {
  if (parts.includes(false)) return false;
  const present = parts.filter((p): p is string => typeof p === 'string');
  if (!present.length) return null;
  return present.length === 1 ? present[0]! : present.map((p) => `(${p})`).join(' AND ');
}
