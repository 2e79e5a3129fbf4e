import type { FieldOperators, PayloadValue, VectorFilter } from './vector-store';
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

export function sqlLiteral(value: string | number | boolean): string {
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

type Sql = string | null | false;

const OPERATORS: ReadonlySet<string> = new Set(['$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin']);

function isOperators(condition: unknown): condition is FieldOperators {
  return typeof condition === 'object' && condition !== null && !Array.isArray(condition);
}

/** Every payload field a filter names, sub-filters included (to know which columns it needs). */
export function filterFields(filter: VectorFilter): string[] {
  const fields: string[] = [];
  for (const [key, condition] of Object.entries(filter)) {
    if (condition === undefined) continue;
    if (key === '$and' || key === '$or') {
      for (const sub of condition as readonly VectorFilter[]) fields.push(...filterFields(sub));
    } else {
      fields.push(key);
    }
  }
  return fields;
}

/** Whether the filter has no condition at all (a delete or update with it would touch every record). */
export function isEmptyFilter(filter: VectorFilter): boolean {
  return Object.values(filter).every((c) => c === undefined);
}

/**
 * The SQL predicate of a filter over the collection's payload columns: a string, `null` when every record matches,
 * or `false` when none can. Every value is written as a literal of the column's type (strings quoted and escaped),
 * never spliced in raw; a field the collection has never stored is null in every record.
 */
export function filterToSql(filter: VectorFilter, columns: ReadonlyMap<string, PayloadFieldType>): Sql {
  const parts: Sql[] = [];
  for (const [key, condition] of Object.entries(filter)) {
    if (condition === undefined) continue;
    if (key === '$and' || key === '$or') {
      const subs = (condition as readonly VectorFilter[]).map((f) => filterToSql(f, columns));
      const joined = key === '$and' ? andSql(...subs) : orSql(...subs);
      parts.push(key === '$and' && typeof joined === 'string' && joined.includes(' AND ') ? `(${joined})` : joined);
      continue;
    }
    checkName('payload field', key);
    const type = columns.get(key) ?? null;
    if (isOperators(condition)) {
      for (const [op, value] of Object.entries(condition)) {
        if (value === undefined) continue;
        if (!OPERATORS.has(op)) {
          throw new VectorStoreError(VectorStoreErrorCode.InvalidArgument, `unknown filter operator ${op} on ${key}`);
        }
        parts.push(operatorSql(key, type, op as keyof FieldOperators, value as PayloadValue | readonly PayloadValue[]));
      }
    } else {
      const values: readonly PayloadValue[] = Array.isArray(condition) ? condition : [condition as PayloadValue];
      parts.push(inSql(key, type, values, false));
    }
  }
  // Every part is a comparison or parenthesised, so plain AND keeps the precedence.
  if (parts.includes(false)) return false;
  const present = parts.filter((p): p is string => typeof p === 'string');
  return present.length ? present.join(' AND ') : null;
}

/** The literals of the values that have the column's type (finite numbers only), deduplicated. */
function literalsOf(values: readonly PayloadValue[], type: PayloadFieldType): string[] {
  return [
    ...new Set(
      values
        .filter((v): v is string | number | boolean => v !== null && payloadFieldType(v) === type)
        .filter((v) => typeof v !== 'number' || Number.isFinite(v))
        .map(sqlLiteral),
    ),
  ];
}

/** `field IN values` (null in the list: or no value), or its negation. */
function inSql(field: string, type: PayloadFieldType | null, values: readonly PayloadValue[], negate: boolean): Sql {
  const matchesNull = values.includes(null);
  const column = `\`${field}\``;
  const literals = type ? literalsOf(values, type) : [];
  const list = literals.length === 1 ? `= ${literals[0]}` : `IN (${literals.join(', ')})`;
  if (!negate) {
    const clauses: string[] = [];
    if (literals.length) clauses.push(`${column} ${list}`);
    if (matchesNull && type) clauses.push(`${column} IS NULL`);
    if (matchesNull && !type) return null;
    if (!clauses.length) return false;
    return clauses.length === 1 ? clauses[0]! : `(${clauses.join(' OR ')})`;
  }
  if (!type) return matchesNull ? false : null;
  const notIn = literals.length === 1 ? `<> ${literals[0]}` : `NOT IN (${literals.join(', ')})`;
  if (matchesNull) return literals.length ? `(${column} IS NOT NULL AND ${column} ${notIn})` : `${column} IS NOT NULL`;
  return literals.length ? `(${column} IS NULL OR ${column} ${notIn})` : null;
}

function operatorSql(
  field: string,
  type: PayloadFieldType | null,
  op: keyof FieldOperators,
  value: PayloadValue | readonly PayloadValue[],
): Sql {
  switch (op) {
    case '$eq':
      return inSql(field, type, [value as PayloadValue], false);
    case '$ne':
      return inSql(field, type, [value as PayloadValue], true);
    case '$in':
    case '$nin':
      if (!Array.isArray(value)) {
        throw new VectorStoreError(VectorStoreErrorCode.InvalidArgument, `${op} on ${field} needs a list`);
      }
      return inSql(field, type, value as readonly PayloadValue[], op === '$nin');
    case '$gt':
    case '$gte':
    case '$lt':
    case '$lte': {
      const v = value as PayloadValue;
      if (typeof v !== 'string' && typeof v !== 'number') {
        throw new VectorStoreError(VectorStoreErrorCode.InvalidArgument, `${op} on ${field} needs a string or number`);
      }
      if (!type || payloadFieldType(v) !== type || (typeof v === 'number' && !Number.isFinite(v))) return false;
      const sign = { $gt: '>', $gte: '>=', $lt: '<', $lte: '<=' }[op];
      return `\`${field}\` ${sign} ${sqlLiteral(v)}`;
    }
  }
}

/** Joins predicates with OR; `null` if any is `null` (always true), `false` if there are none that can hold. */
export function orSql(...parts: Sql[]): Sql {
  if (parts.includes(null)) return null;
  const present = parts.filter((p): p is string => typeof p === 'string');
  if (!present.length) return false;
  return present.length === 1 ? present[0]! : `(${present.map((p) => `(${p})`).join(' OR ')})`;
}

/** Joins predicates with AND; `false` if any is `false`, `null` if there are none. */
export function andSql(...parts: Sql[]): Sql {
  if (parts.includes(false)) return false;
  const present = parts.filter((p): p is string => typeof p === 'string');
  if (!present.length) return null;
  return present.length === 1 ? present[0]! : present.map((p) => `(${p})`).join(' AND ');
}
