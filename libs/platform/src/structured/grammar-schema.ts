/**
 * JSON Schema → the subset node-llama-cpp compiles into a GBNF grammar (its `GbnfJsonSchema`).
 *
 * Written here because no library does this translation: llama.cpp's own converter is C++/Python, and
 * node-llama-cpp accepts only its subset and silently ignores keywords outside it. Silently ignoring a constraint
 * is exactly llama-server's failure mode (200 with output that does not match the schema), so every keyword that
 * constrains values and that the grammar cannot express is refused with the keyword and its JSON pointer, and the
 * caller turns that into a 400. Annotations (`title`, `description`, `default`, `examples`, `$schema`, …) constrain
 * nothing and are dropped.
 *
 * Supported: `type` (one or a list of primitives), `const`, `enum`, `anyOf`/`oneOf` (a generated value matches one
 * branch, which satisfies both), `properties`, `required`, `additionalProperties`, `minProperties`,
 * `maxProperties`, `items`, `prefixItems`, `minItems`, `maxItems`, `minLength`, `maxLength`, `format` (`date`,
 * `time`, `date-time`), `$ref` to `#/$defs/…` or `#/definitions/…`, and `nullable` (OpenAPI's spelling).
 */

export type GrammarSchema = Record<string, unknown>;

export class UnsupportedSchemaError extends Error {
  constructor(
    readonly keyword: string,
    /** JSON pointer of the schema node that uses it, `''` for the root. */
    readonly pointer: string,
    detail?: string,
  ) {
    super(
      `JSON schema keyword '${keyword}'${pointer ? ` at '${pointer}'` : ''} is not supported for constrained decoding${detail ? `: ${detail}` : ''}.`,
    );
  }
}

/** Keywords that describe a schema without constraining values. */
const ANNOTATIONS = new Set([
  'title',
  'description',
  'default',
  'examples',
  'example',
  '$schema',
  '$id',
  '$comment',
  'deprecated',
  'readOnly',
  'writeOnly',
  'strict',
]);

const PRIMITIVES = new Set(['string', 'number', 'integer', 'boolean', 'null']);
const FORMATS = new Set(['date', 'time', 'date-time']);

/** Translates `schema`; throws `UnsupportedSchemaError` naming the first keyword the grammar cannot express. */
export function toGrammarSchema(schema: unknown): GrammarSchema {
  if (!isObject(schema)) throw new UnsupportedSchemaError('(schema)', '', 'a schema must be a JSON object');
  const defs = { ...asObject(schema['definitions']), ...asObject(schema['$defs']) };
  const out = node(schema, '', true);
  const names = Object.keys(defs);
  if (names.length) {
    const translated: Record<string, unknown> = {};
    for (const name of names) translated[name] = node(defs[name], `/$defs/${name}`, false);
    out['$defs'] = translated;
  }
  return out;
}

function node(schema: unknown, pointer: string, root: boolean): GrammarSchema {
  if (schema === true || (isObject(schema) && Object.keys(schema).length === 0)) {
    throw new UnsupportedSchemaError('(any value)', pointer, 'give the value a type');
  }
  if (!isObject(schema)) throw new UnsupportedSchemaError('(schema)', pointer, 'a schema must be a JSON object');
  const out: GrammarSchema = {};
  let nullable = false;
  for (const [key, value] of Object.entries(schema)) {
    const at = `${pointer}/${key}`;
    if (ANNOTATIONS.has(key)) {
      if (key === 'description' && typeof value === 'string') out['description'] = value;
      continue;
    }
    switch (key) {
      case '$defs':
      case 'definitions':
        if (!root) throw new UnsupportedSchemaError(key, pointer, 'definitions are only read at the root');
        break;
      case '$ref': {
        const m = typeof value === 'string' ? /^#\/(?:\$defs|definitions)\/([^/]+)$/.exec(value) : null;
        if (!m) throw new UnsupportedSchemaError('$ref', pointer, 'only #/$defs/<name> references are supported');
        out['$ref'] = `#/$defs/${m[1]}`;
        break;
      }
      case 'type': {
        const types = Array.isArray(value) ? value : [value];
        if (!types.length || types.some((t) => typeof t !== 'string')) throw new UnsupportedSchemaError('type', at);
        out['type'] = Array.isArray(value) ? [...types] : value;
        break;
      }
      case 'nullable':
        nullable = value === true;
        break;
      case 'const':
        if (!isScalar(value)) throw new UnsupportedSchemaError('const', at, 'only string, number, boolean or null');
        out['const'] = value;
        break;
      case 'enum':
        if (!Array.isArray(value) || !value.length || !value.every(isScalar)) {
          throw new UnsupportedSchemaError('enum', at, 'a non-empty list of strings, numbers, booleans or null');
        }
        out['enum'] = [...value];
        break;
      case 'anyOf':
      case 'oneOf':
        if (!Array.isArray(value) || !value.length) throw new UnsupportedSchemaError(key, at, 'a non-empty list');
        out['oneOf'] = value.map((branch, i) => node(branch, `${at}/${i}`, false));
        break;
      case 'properties': {
        const props: Record<string, unknown> = {};
        for (const [name, sub] of Object.entries(asObject(value))) props[name] = node(sub, `${at}/${name}`, false);
        out['properties'] = props;
        break;
      }
      case 'additionalProperties':
        out[key] = typeof value === 'boolean' ? value : node(value, at, false);
        break;
      case 'items':
        if (Array.isArray(value)) throw new UnsupportedSchemaError('items', at, 'use prefixItems for tuples');
        out[key] = node(value, at, false);
        break;
      case 'prefixItems':
        if (!Array.isArray(value)) throw new UnsupportedSchemaError(key, at);
        out[key] = value.map((item, i) => node(item, `${at}/${i}`, false));
        break;
      case 'required':
        if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
          throw new UnsupportedSchemaError(key, at);
        }
        out[key] = [...value];
        break;
      case 'minItems':
      case 'maxItems':
      case 'minLength':
      case 'maxLength':
      case 'minProperties':
      case 'maxProperties':
        if (!Number.isInteger(value) || (value as number) < 0) throw new UnsupportedSchemaError(key, at);
        out[key] = value;
        break;
      case 'format':
        if (typeof value !== 'string' || !FORMATS.has(value)) {
          throw new UnsupportedSchemaError('format', at, `only ${[...FORMATS].join(', ')}`);
        }
        out[key] = value;
        break;
      default:
        throw new UnsupportedSchemaError(key, pointer);
    }
  }
  if (nullable) {
    if (typeof out['type'] === 'string' && PRIMITIVES.has(out['type'])) out['type'] = [out['type'], 'null'];
    else return { oneOf: [stripDescription(out), { type: 'null' }] };
  }
  validateShape(out, pointer);
  return out;
}

/** The combinations node-llama-cpp's types allow: one kind of node, with only that kind's keywords. */
function validateShape(out: GrammarSchema, pointer: string): void {
  // `{type: 'string', enum: [...]}` (what zod writes): the values are the constraint; keep those of the type.
  if (out['type'] !== undefined && ('enum' in out || 'const' in out)) {
    const allowed = new Set(Array.isArray(out['type']) ? (out['type'] as string[]) : [out['type'] as string]);
    const fits = (v: unknown) => allowed.has(jsonType(v)) || (jsonType(v) === 'integer' && allowed.has('number'));
    if ('const' in out && !fits(out['const']))
      throw new UnsupportedSchemaError('const', pointer, 'does not match type');
    if ('enum' in out) {
      out['enum'] = (out['enum'] as unknown[]).filter(fits);
      if (!(out['enum'] as unknown[]).length)
        throw new UnsupportedSchemaError('enum', pointer, 'no value matches type');
    }
    delete out['type'];
  }
  const type = out['type'];
  const types = Array.isArray(type) ? (type as string[]) : type === undefined ? [] : [type as string];
  for (const t of types) {
    if (!PRIMITIVES.has(t) && t !== 'object' && t !== 'array') throw new UnsupportedSchemaError('type', pointer, t);
  }
  if (types.length > 1 && types.some((t) => t === 'object' || t === 'array')) {
    throw new UnsupportedSchemaError('type', pointer, 'a list of types may only hold primitive types; use anyOf');
  }
  const kinds = ['const', 'enum', 'oneOf', '$ref'].filter((k) => k in out);
  if (kinds.length > 1 || (kinds.length === 1 && types.length)) {
    throw new UnsupportedSchemaError(kinds[0] ?? 'type', pointer, 'combined with other kinds of constraint');
  }
  if (!kinds.length && !types.length) {
    throw new UnsupportedSchemaError('(any value)', pointer, 'give the value a type');
  }
  const own: Record<string, string[]> = {
    object: ['properties', 'additionalProperties', 'required', 'minProperties', 'maxProperties'],
    array: ['items', 'prefixItems', 'minItems', 'maxItems'],
    string: ['minLength', 'maxLength', 'format'],
  };
  for (const [kind, keywords] of Object.entries(own)) {
    if (types.length === 1 && types[0] === kind) continue;
    const used = keywords.find((k) => k in out);
    if (used) throw new UnsupportedSchemaError(used, pointer, `only applies to type '${kind}' here`);
  }
  if ('format' in out && ('minLength' in out || 'maxLength' in out)) {
    throw new UnsupportedSchemaError('format', pointer, 'cannot be combined with minLength or maxLength');
  }
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function stripDescription(s: GrammarSchema): GrammarSchema {
  const { description: _d, ...rest } = s;
  return rest;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function asObject(v: unknown): Record<string, unknown> {
  return isObject(v) ? v : {};
}

function isScalar(v: unknown): boolean {
  return v === null || ['string', 'number', 'boolean'].includes(typeof v);
}
