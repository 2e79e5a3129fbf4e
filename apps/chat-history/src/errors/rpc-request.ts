import { ZodError, ZodTypeAny, z } from 'zod';
import { ChatHistoryErrorCode } from '@llmp/contracts';
import { apiErrorFromZod } from '@llmp/platform';
import { ChatHistoryError } from './chat-history.error';

export function chatHistoryErrorFromZod(err: ZodError): ChatHistoryError {
  const { message, param } = apiErrorFromZod(err);
  return new ChatHistoryError(ChatHistoryErrorCode.InvalidRequest, message, param);
}

/** Validates an RPC request with its contract schema; a bad one fails with `invalid_request` naming the field. */
export function parseRequest<S extends ZodTypeAny>(schema: S, data: unknown): z.output<S> {
  const result = schema.safeParse(data ?? {});
  if (!result.success) throw chatHistoryErrorFromZod(result.error);
  return result.data as z.output<S>;
}
