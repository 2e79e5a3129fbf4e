import { ZodError } from 'zod';
import { ApiError, ApiErrorCode } from './api-error';

const FIELD_CODES: Record<string, ApiErrorCode> = {
  unsupported_parameter: ApiErrorCode.UnsupportedParameter,
  unknown_parameter: ApiErrorCode.UnknownParameter,
  unsupported_capability: ApiErrorCode.UnsupportedCapability,
};

/** Turns the first zod issue into an ApiError whose `param` names the offending field (`messages[0].role`). */
export function apiErrorFromZod(err: ZodError): ApiError {
  const issue = err.issues[0];
  const param = issue ? formatPath(issue.path) : null;
  const where = param ? `'${param}'` : 'body';
  // Unsupported and unknown fields (libs/contracts served-fields) carry their own code and a complete message.
  const own = issue?.code === 'custom' ? FIELD_CODES[String((issue.params as { code?: unknown })?.code)] : undefined;
  if (issue && own) return new ApiError(own, issue.message, param);
  const message = issue ? `Invalid value for ${where}: ${issue.message}` : 'Invalid request body';
  return new ApiError(ApiErrorCode.InvalidRequest, message, param);
}

function formatPath(path: (string | number)[]): string | null {
  if (path.length === 0) return null;
  return path.reduce<string>(
    (acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part),
    '',
  );
}
