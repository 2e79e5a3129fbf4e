import { ZodError, ZodTypeAny, z } from 'zod';
import { RagErrorCode } from '@llmp/contracts';
import { apiErrorFromZod } from '@llmp/platform';
import { RagError } from './rag.error';

export function ragErrorFromZod(err: ZodError): RagError {
  const { message, param } = apiErrorFromZod(err);
  return new RagError(RagErrorCode.InvalidRequest, message, param);
}

/** Validates an RPC request with its contract schema; a bad one fails with `invalid_request` naming the field. */
export function parseRequest<S extends ZodTypeAny>(schema: S, data: unknown): z.output<S> {
  const result = schema.safeParse(data ?? {});
  if (!result.success) throw ragErrorFromZod(result.error);
  return result.data as z.output<S>;
}
