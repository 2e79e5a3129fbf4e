import type { AttributeFilter, ComparisonFilter } from '@llmp/contracts';
import type { VectorFilter } from '@llmp/platform';
import { AttributeType, attributeField, attributeType } from '../chunks/chunk-vectors';

/**
 * OpenAI attribute filters, translated for both rankings so each applies them inside its own query: to a
 * `VectorFilter` over the chunk payload's attribute fields (see chunk-vectors.ts), and to SQL over the vector store
 * file's `attributes` jsonb. Both give the same answer: `eq`/`in` match a value of the same type and value;
 * `ne`/`nin` match anything else (other types and absent keys included); `gt`/`gte`/`lt`/`lte` compare numbers with
 * numbers and strings with strings (by code point), and match nothing else.
 */
const MATCH_NOTHING: VectorFilter = { $or: [] };

export function toVectorFilter(filter: AttributeFilter): VectorFilter {
  if ('filters' in filter) {
    const subs = filter.filters.map((f) => toVectorFilter(f as AttributeFilter));
    return filter.type === 'and' ? { $and: subs } : { $or: subs };
  }
  return comparisonToVector(filter);
}

function byType(values: readonly (string | number | boolean)[]): Map<AttributeType, (string | number | boolean)[]> {
  const out = new Map<AttributeType, (string | number | boolean)[]>();
  for (const v of values) out.set(attributeType(v), [...(out.get(attributeType(v)) ?? []), v]);
  return out;
}

function comparisonToVector(f: ComparisonFilter): VectorFilter {
  const { key, value } = f;
  switch (f.type) {
    case 'eq':
    case 'ne': {
      const v = value as string | number | boolean;
      return { [attributeField(key, attributeType(v))]: { [f.type === 'eq' ? '$eq' : '$ne']: v } };
    }
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      if (typeof value !== 'string' && typeof value !== 'number') return MATCH_NOTHING;
      return { [attributeField(key, attributeType(value))]: { [`$${f.type}`]: value } };
    }
    case 'in':
    case 'nin': {
      const groups = [...byType(value as (string | number)[])].map(([t, vs]) => ({
        [attributeField(key, t)]: { [f.type === 'in' ? '$in' : '$nin']: vs },
      }));
      return f.type === 'in' ? { $or: groups } : { $and: groups };
    }
  }
}

/** SQL over `<alias>."attributes"`, its parameters numbered from `firstParam`. */
export function toAttributeSql(
  filter: AttributeFilter,
  firstParam: number,
  alias = 'f',
): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const param = (v: unknown) => {
    params.push(v);
    return `$${firstParam + params.length - 1}`;
  };
  const column = `${alias}."attributes"`;
  const walk = (x: AttributeFilter): string => {
    if ('filters' in x) {
      const parts = x.filters.map((s) => `(${walk(s as AttributeFilter)})`);
      return parts.join(x.type === 'and' ? ' AND ' : ' OR ');
    }
    const key = param(x.key);
    const field = `(${column} -> ${key}::text)`;
    const text = `(${column} ->> ${key}::text)`;
    switch (x.type) {
      case 'eq':
        return `coalesce(${field} = ${param(JSON.stringify(x.value))}::jsonb, false)`;
      case 'ne':
        return `coalesce(${field} <> ${param(JSON.stringify(x.value))}::jsonb, true)`;
      case 'in':
        return `coalesce(${field} = ANY(${param((x.value as unknown[]).map((v) => JSON.stringify(v)))}::jsonb[]), false)`;
      case 'nin':
        return `NOT coalesce(${field} = ANY(${param((x.value as unknown[]).map((v) => JSON.stringify(v)))}::jsonb[]), false)`;
      case 'gt':
      case 'gte':
      case 'lt':
      case 'lte': {
        const op = { gt: '>', gte: '>=', lt: '<', lte: '<=' }[x.type];
        if (typeof x.value === 'number') {
          return `coalesce(jsonb_typeof(${field}) = 'number' AND (${text})::numeric ${op} ${param(x.value)}::numeric, false)`;
        }
        if (typeof x.value === 'string') {
          return `coalesce(jsonb_typeof(${field}) = 'string' AND ${text} COLLATE "C" ${op} ${param(x.value)}::text COLLATE "C", false)`;
        }
        return 'false';
      }
    }
  };
  return { sql: walk(filter), params };
}
