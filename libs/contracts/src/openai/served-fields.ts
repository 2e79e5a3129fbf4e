import { z } from 'zod';

/** zod issue params that make the API answer with this error code instead of `invalid_request`. */
export const UNSUPPORTED_PARAMETER = 'unsupported_parameter';
export const UNKNOWN_PARAMETER = 'unknown_parameter';

/** A value that asks for nothing: absent, null, false, an empty list or object. */
export function asksForNothing(v: unknown): boolean {
  if (v === undefined || v === null || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v).length === 0;
  return false;
}

/** Accepts only the given values (or nothing). */
export const onlyValues =
  (...allowed: unknown[]) =>
  (v: unknown): boolean =>
    asksForNothing(v) || allowed.some((a) => JSON.stringify(a) === JSON.stringify(v));

/**
 * An OpenAI request schema that says what it does: fields of the standard this server does not serve are refused
 * with a 400 `unsupported_parameter` naming them (unless their value asks for nothing, such as `tools: []` or
 * `logprobs: false`), and fields the standard does not have get a 400 `unknown_parameter`, as OpenAI answers.
 * Nothing a client sends is silently dropped.
 *
 * `unserved` maps each standard field not served here to the values that are still fine.
 */
export function servedFields<S extends z.ZodRawShape>(shape: S, unserved: Record<string, (v: unknown) => boolean>) {
  const strict = z.object(shape);
  return strict
    .passthrough()
    .superRefine((body, ctx) => {
      for (const [key, value] of Object.entries(body)) {
        if (key in shape) continue;
        const accepts = unserved[key];
        if (accepts) {
          if (!accepts(value)) {
            ctx.addIssue({
              code: 'custom',
              path: [key],
              message: `'${key}' is not supported by this server.`,
              params: { code: UNSUPPORTED_PARAMETER },
            });
          }
          continue;
        }
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `Unknown parameter: '${key}'.`,
          params: { code: UNKNOWN_PARAMETER },
        });
      }
    })
    .transform((body) => {
      // Only the served fields travel on (the accepted hints, such as `prompt_cache_key`, stop here).
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(shape)) if (key in body) out[key] = body[key];
      return out as z.output<typeof strict>;
    });
}
