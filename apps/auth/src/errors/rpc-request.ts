import { ZodError, ZodTypeAny, z } from 'zod';
import { AuthErrorCode } from '@llmp/contracts';
import { apiErrorFromZod } from '@llmp/platform';
import { AuthError } from './auth.error';

export function authErrorFromZod(err: ZodError): AuthError {
  const { message, param } = apiErrorFromZod(err);
  return new AuthError(AuthErrorCode.InvalidRequest, message, param);
}

/** Validates an RPC request with its contract schema; a bad one fails with `invalid_request` naming the field. */
export function parseRequest<S extends ZodTypeAny>(schema: S, data: unknown): z.output<S> {
  const result = schema.safeParse(data ?? {});
  if (!result.success) throw authErrorFromZod(result.error);
  return result.data as z.output<S>;
}
