import type { ZodTypeAny, z } from 'zod';
import { zodToJsonSchema } from 'zod-to-json-schema';
import { ApiError, ApiErrorCode, apiErrorFromZod } from '@llmp/platform';

/** Validates a request body; the 400 names the first offending field in `error.param`. */
export function parseBody<S extends ZodTypeAny>(schema: S, body: unknown): z.output<S> {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ApiError(ApiErrorCode.InvalidRequest, 'The request body must be a JSON object.');
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw apiErrorFromZod(parsed.error);
  return parsed.data;
}

/** The same schema as OpenAPI, for Swagger at /docs. */
export function openApiSchema(schema: ZodTypeAny): Record<string, unknown> {
  const convert = zodToJsonSchema as (s: unknown, o: object) => Record<string, unknown>;
  const json = convert(schema, { target: 'openApi3', $refStrategy: 'none' });
  delete json.$schema;
  return json;
}
