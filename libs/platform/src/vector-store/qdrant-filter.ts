import { PayloadFieldType, checkName, payloadFieldType } from './lancedb-filter';
import type { FieldOperators, Payload, PayloadValue, ScalarValue, VectorFilter } from './vector-store';
import { VectorStoreError, VectorStoreErrorCode } from './vector-store.error';

/** Qdrant's filter (REST `Filter`): every `must` holds, at least one `should` (when given), no `must_not`. */
export interface QdrantFilter {
  must?: QdrantCondition[];
  should?: QdrantCondition[];
  must_not?: QdrantCondition[];
}

export type QdrantCondition =
  | { key: string; match: { value: string | number | boolean } | { any: string[] } }
  | { key: string; range: { gt?: number; gte?: number; lt?: number; lte?: number } }
  | { is_empty: { key: string } }
  | { has_id: string[] }
  | QdrantFilter;

/** A condition, or `null` when every record matches, or `false` when none can. */
type Cond = QdrantCondition | null | false;

export interface TranslatedFilter {
  /** The filter to send (`{}`: every record), or `false` when no record can match. */
  filter: QdrantFilter | false;
  /**
   * Whether hits must be checked again with `matchesFilter`: Qdrant's `range` orders numbers only, so a string
   * comparison (`$gt: 'b'`) is sent as "any record" and checked on the payload (a superset is sent: the port has no
   * negation of a sub-filter, so relaxing a condition can only widen the match).
   */
  recheck: boolean;
}

const OPERATORS: ReadonlySet<string> = new Set(['$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin']);

function isOperators(condition: unknown): condition is FieldOperators {
  return typeof condition === 'object' && condition !== null && !Array.isArray(condition);
}

/**
 * Qdrant's filter for a port filter, over the collection's payload fields and their types (`fields`: the fields a
 * payload index declares). Null semantics follow the port: a field without a value (absent; nulls are never stored)
 * is `is_empty`; `$ne`/`$nin` are `must_not`, so they match records without the field. Values of another type than
 * the field's are dropped, as they never match; numbers compare by `range` (equality too: `match` takes no floats).
 */
export function toQdrantFilter(filter: VectorFilter, fields: ReadonlyMap<string, PayloadFieldType>): TranslatedFilter {
  const state = { recheck: false };
  const cond = filterCond(filter, fields, state);
  return { filter: cond === false ? false : asFilter(cond), recheck: state.recheck };
}

/** The condition as a top-level filter (`{}` matches every record). */
export function asFilter(cond: QdrantCondition | null): QdrantFilter {
  if (cond === null) return {};
  if ('must' in cond || 'should' in cond || 'must_not' in cond) return cond as QdrantFilter;
  return { must: [cond] };
}

/** Both filters must hold. */
export function andFilters(a: QdrantFilter, b: QdrantFilter): QdrantFilter {
  if (!Object.keys(a).length) return b;
  if (!Object.keys(b).length) return a;
  return { must: [a, b] };
}

function filterCond(
  filter: VectorFilter,
  fields: ReadonlyMap<string, PayloadFieldType>,
  state: { recheck: boolean },
): Cond {
  const parts: Cond[] = [];
  for (const [key, condition] of Object.entries(filter)) {
    if (condition === undefined) continue;
    if (key === '$and' || key === '$or') {
      const subs = (condition as readonly VectorFilter[]).map((f) => filterCond(f, fields, state));
      parts.push(key === '$and' ? and(subs) : or(subs));
      continue;
    }
    checkName('payload field', key);
    const type = fields.get(key) ?? null;
    if (isOperators(condition)) {
      for (const [op, value] of Object.entries(condition)) {
        if (value === undefined) continue;
        if (!OPERATORS.has(op)) {
          throw new VectorStoreError(VectorStoreErrorCode.InvalidArgument, `unknown filter operator ${op} on ${key}`);
        }
        parts.push(operatorCond(key, type, op as keyof FieldOperators, value as PayloadValue, state));
      }
    } else {
      const values: readonly PayloadValue[] = Array.isArray(condition) ? condition : [condition as PayloadValue];
      parts.push(inCond(key, type, values, false));
    }
  }
  return and(parts);
}

/** The values that have the field's type (finite numbers only), deduplicated. */
function valuesOf(values: readonly PayloadValue[], type: PayloadFieldType): ScalarValue[] {
  return [
    ...new Set(
      values.filter(
        (v): v is ScalarValue =>
          v !== null && payloadFieldType(v) === type && (typeof v !== 'number' || Number.isFinite(v)),
      ),
    ),
  ];
}

/** The field equals one of the values (all of the field's type; at least one). */
function anyOf(key: string, type: PayloadFieldType, values: ScalarValue[]): QdrantCondition {
  if (type === 'string') {
    return values.length === 1 ? { key, match: { value: values[0]! } } : { key, match: { any: values as string[] } };
  }
  const one = (v: ScalarValue): QdrantCondition =>
    type === 'number' ? { key, range: { gte: v as number, lte: v as number } } : { key, match: { value: v } };
  return values.length === 1 ? one(values[0]!) : { should: values.map(one) };
}

/** `field IN values` (null in the list: or no value), or its negation. */
function inCond(key: string, type: PayloadFieldType | null, values: readonly PayloadValue[], negate: boolean): Cond {
  const matchesNull = values.includes(null);
  // A field the collection never stored has no value in any record.
  if (!type) return matchesNull !== negate ? null : false;
  const typed = valuesOf(values, type);
  const empty: QdrantCondition = { is_empty: { key } };
  if (!negate) {
    const clauses: QdrantCondition[] = [];
    if (typed.length) clauses.push(anyOf(key, type, typed));
    if (matchesNull) clauses.push(empty);
    return or(clauses);
  }
  const excluded: QdrantCondition[] = [];
  if (typed.length) excluded.push(anyOf(key, type, typed));
  if (matchesNull) excluded.push(empty);
  return excluded.length ? { must_not: excluded } : null;
}

function operatorCond(
  key: string,
  type: PayloadFieldType | null,
  op: keyof FieldOperators,
  value: PayloadValue | readonly PayloadValue[],
  state: { recheck: boolean },
): Cond {
  switch (op) {
    case '$eq':
      return inCond(key, type, [value as PayloadValue], false);
    case '$ne':
      return inCond(key, type, [value as PayloadValue], true);
    case '$in':
    case '$nin':
      if (!Array.isArray(value)) {
        throw new VectorStoreError(VectorStoreErrorCode.InvalidArgument, `${op} on ${key} needs a list`);
      }
      return inCond(key, type, value as readonly PayloadValue[], op === '$nin');
    case '$gt':
    case '$gte':
    case '$lt':
    case '$lte': {
      const v = value as PayloadValue;
      if (typeof v !== 'string' && typeof v !== 'number') {
        throw new VectorStoreError(VectorStoreErrorCode.InvalidArgument, `${op} on ${key} needs a string or number`);
      }
      if (!type || payloadFieldType(v) !== type || (typeof v === 'number' && !Number.isFinite(v))) return false;
      if (typeof v === 'string') {
        // Qdrant orders numbers only: the records need a value, and the comparison is checked on the payload.
        state.recheck = true;
        return { must_not: [{ is_empty: { key } }] };
      }
      return { key, range: { [op.slice(1)]: v } };
    }
  }
}

/** All must hold: `false` if any is `false`, `null` if there are none. */
function and(parts: Cond[]): Cond {
  if (parts.includes(false)) return false;
  const present = parts.filter((p): p is QdrantCondition => p !== null && p !== false);
  if (!present.length) return null;
  if (present.length === 1) return present[0]!;
  return { must: present };
}

/** At least one must hold: `null` if any is `null` (always true), `false` if none can. */
function or(parts: Cond[]): Cond {
  if (parts.includes(null)) return null;
  const present = parts.filter((p): p is QdrantCondition => p !== false);
  if (!present.length) return false;
  if (present.length === 1) return present[0]!;
  return { should: present };
}

/**
 * Whether a stored payload matches the filter, with the port's semantics (the same as the translation above and as
 * LanceDB's SQL): used to check the hits of a filter with string comparisons. `fields` gives the field types.
 */
export function matchesFilter(
  filter: VectorFilter,
  payload: Payload,
  fields: ReadonlyMap<string, PayloadFieldType>,
): boolean {
  for (const [key, condition] of Object.entries(filter)) {
    if (condition === undefined) continue;
    if (key === '$and' || key === '$or') {
      const subs = (condition as readonly VectorFilter[]).map((f) => matchesFilter(f, payload, fields));
      if (key === '$and' ? !subs.every(Boolean) : !subs.some(Boolean)) return false;
      continue;
    }
    const type = fields.get(key) ?? null;
    const stored = payload[key] ?? null;
    const value = stored !== null && type && payloadFieldType(stored) === type ? stored : null;
    if (isOperators(condition)) {
      for (const [op, operand] of Object.entries(condition)) {
        if (operand === undefined) continue;
        if (!operatorHolds(op as keyof FieldOperators, operand as PayloadValue | readonly PayloadValue[], value)) {
          return false;
        }
      }
    } else {
      const values: readonly PayloadValue[] = Array.isArray(condition) ? condition : [condition as PayloadValue];
      if (!values.some((v) => v === value)) return false;
    }
  }
  return true;
}

function operatorHolds(op: keyof FieldOperators, operand: PayloadValue | readonly PayloadValue[], value: PayloadValue) {
  switch (op) {
    case '$eq':
      return operand === value;
    case '$ne':
      return operand !== value;
    case '$in':
      return (operand as readonly PayloadValue[]).some((v) => v === value);
    case '$nin':
      return !(operand as readonly PayloadValue[]).some((v) => v === value);
    case '$gt':
    case '$gte':
    case '$lt':
    case '$lte': {
      if (value === null || typeof value !== typeof operand || typeof value === 'boolean') return false;
      const c = typeof value === 'string' ? compareCodePoints(value, operand as string) : value - (operand as number);
      return op === '$gt' ? c > 0 : op === '$gte' ? c >= 0 : op === '$lt' ? c < 0 : c <= 0;
    }
  }
}

/** Orders strings by code point (as LanceDB does), not by UTF-16 unit as `<` does. */
function compareCodePoints(a: string, b: string): number {
  const x = a[Symbol.iterator]();
  const y = b[Symbol.iterator]();
  for (;;) {
    const p = x.next();
    const q = y.next();
    if (p.done || q.done) return p.done && q.done ? 0 : p.done ? -1 : 1;
    const d = p.value.codePointAt(0)! - q.value.codePointAt(0)!;
    if (d) return d;
  }
}
