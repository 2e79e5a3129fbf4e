import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

/** Compiled validators by schema text: the same tool or format arrives with every request of a client. */
const CACHE_LIMIT = 256;

/**
 * JSON Schema checks with ajv: a schema's own validity (a client's tool parameters) and a value against it (the
 * arguments and structured outputs a grammar produced, checked again before they are returned).
 */
export class SchemaValidator {
  private readonly ajv = new Ajv({ strict: false, allErrors: false, validateFormats: true });
  private readonly compiled = new Map<string, { fn: ValidateFunction; body: object }>();

  constructor() {
    addFormats(this.ajv);
  }

  /** Null when `schema` is a valid JSON schema, else ajv's reason. */
  schemaError(schema: unknown): string | null {
    try {
      this.compile(schema);
      return null;
    } catch (err) {
      return (err as Error).message;
    }
  }

  /** Null when `value` matches `schema`, else the first violation (`/path must …`). */
  valueError(schema: unknown, value: unknown): string | null {
    const validate = this.compile(schema);
    if (validate(value)) return null;
    const e = validate.errors?.[0];
    return e ? `${e.instancePath || '/'} ${e.message ?? 'is invalid'}` : 'does not match the schema';
  }

  private compile(schema: unknown): ValidateFunction {
    const key = JSON.stringify(schema);
    const hit = this.compiled.get(key);
    if (hit) return hit.fn;
    {
      if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
        throw new Error('a schema must be a JSON object');
      }
      // ajv keys compiled schemas by $id: a client's $id must not collide with another's.
      const { $id: _id, $schema: _s, ...body } = schema as Record<string, unknown>;
      const fn = this.ajv.compile(body);
      // ajv keeps every compiled schema too: evict from both, or a caller sending new schemas grows memory.
      if (this.compiled.size >= CACHE_LIMIT) {
        const [oldest, entry] = this.compiled.entries().next().value!;
        this.compiled.delete(oldest);
        this.ajv.removeSchema(entry.body);
      }
      this.compiled.set(key, { fn, body });
      return fn;
    }
  }
}
