import { ZodError } from 'zod';
import { ApiError, ApiErrorCode } from './api-error';

/** Turns the first zod issue into an ApiError whose `param` names the offending field (`messages[0].role`). */
export function apiErrorFromZod(err: ZodError): ApiError {
  const issue = err.issues[0];
  const param = issue ? formatPath(issue.path) : null;
  const where = param ? `'${param}'` : 'body';
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
