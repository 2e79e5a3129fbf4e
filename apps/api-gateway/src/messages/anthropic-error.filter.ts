import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AnthropicErrorBody, AnthropicErrorType } from '@llmp/contracts';
import { ApiErrorCode, toOpenAiError } from '@llmp/platform';

/** Codes whose Anthropic type (and status) is not the one their HTTP status suggests. */
const BY_CODE: Partial<Record<ApiErrorCode, { status?: number; type: AnthropicErrorType }>> = {
  // Anthropic answers an overloaded service with 529.
  [ApiErrorCode.ServerOverloaded]: { status: 529, type: 'overloaded_error' },
  [ApiErrorCode.ServiceUnavailable]: { type: 'overloaded_error' },
  [ApiErrorCode.Timeout]: { type: 'timeout_error' },
  [ApiErrorCode.PayloadTooLarge]: { type: 'request_too_large' },
  // Spend, not request rate: Anthropic's type for it (the status stays the platform's 429).
  [ApiErrorCode.BudgetExceeded]: { type: 'billing_error' },
};

const BY_STATUS: Record<number, AnthropicErrorType> = {
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
};

/** An error as Anthropic's API reports it: the status, and its error type. */
export function anthropicStatus(status: number, code: string | null): { status: number; type: AnthropicErrorType } {
  const own = code ? BY_CODE[code as ApiErrorCode] : undefined;
  if (own) return { status: own.status ?? status, type: own.type };
  return { status, type: BY_STATUS[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error') };
}

/**
 * The message of an error in Anthropic's shape, which has no `param`: the field is named in front of the message
 * when the message does not name it (`max_tokens: …`, as Anthropic writes it).
 */
export function anthropicMessage(message: string, param: string | null): string {
  return param && !message.includes(param) ? `${param}: ${message}` : message;
}

/**
 * Renders every error of the routes it is bound to in Anthropic's shape, `{type: 'error', error: {type, message},
 * request_id}`, with Anthropic's status for it (529 when overloaded). What an error is (an ApiError, a zod or
 * Fastify error, an unknown one logged with an errorId) is decided as for the rest of the API, by the platform's
 * classification; only the rendering differs. Bound with `@UseFilters` on the Anthropic controllers, so it sees the
 * auth guard's and the rate limits' errors too.
 */
@Catch()
export class AnthropicErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const req = http.getRequest<FastifyRequest>();
    const { status, body, headers } = toOpenAiError(exception, this.logger);
    if (reply.sent || reply.raw.headersSent) {
      if (!reply.raw.writableEnded) reply.raw.end();
      return;
    }
    const { error } = body;
    const anthropic = anthropicStatus(status, error.code);
    const out: AnthropicErrorBody = {
      type: 'error',
      error: { type: anthropic.type, message: anthropicMessage(error.message, error.param) },
      request_id: String(req.id),
    };
    if (headers) void reply.headers(headers);
    void reply.status(anthropic.status).header('content-type', 'application/json').send(out);
  }
}
