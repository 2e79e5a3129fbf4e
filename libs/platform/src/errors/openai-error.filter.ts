import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyError, FastifyReply } from 'fastify';
import { randomUUID } from 'node:crypto';
import { ZodError } from 'zod';
import type { OpenAiErrorBody } from '@llmp/contracts';
import { redactedError } from '../observability/log-redaction';
import { API_ERROR_TABLE, ApiError, ApiErrorCode } from './api-error';
import { apiErrorFromFramework } from './framework-errors';
import { apiErrorFromZod } from './zod-error';

/** Fastify's own client errors (body parsing, limits) by code. */
const FASTIFY_CODES: Record<string, ApiErrorCode> = {
  FST_ERR_CTP_INVALID_JSON_BODY: ApiErrorCode.InvalidJson,
  FST_ERR_CTP_EMPTY_JSON_BODY: ApiErrorCode.InvalidJson,
  FST_ERR_CTP_BODY_TOO_LARGE: ApiErrorCode.PayloadTooLarge,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ApiErrorCode.UnsupportedMediaType,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: ApiErrorCode.InvalidRequest,
};

/** Fastify's router errors (bad URL encoding, over-long path segment), should one reach Nest. */
const FASTIFY_ROUTER_CODES = new Set(['FST_ERR_BAD_URL', 'FST_ERR_MAX_PARAM_LENGTH']);

/** Codes for Nest's own HTTP exceptions (unknown routes, and Fastify's body errors that Nest wraps). */
const HTTP_STATUS_CODES: Record<number, ApiErrorCode> = {
  400: ApiErrorCode.InvalidRequest,
  404: ApiErrorCode.NotFound,
  405: ApiErrorCode.MethodNotAllowed,
  408: ApiErrorCode.RequestTimeout,
  413: ApiErrorCode.PayloadTooLarge,
  414: ApiErrorCode.UriTooLong,
  415: ApiErrorCode.UnsupportedMediaType,
  431: ApiErrorCode.HeadersTooLarge,
};

/**
 * Renders every error in OpenAI's shape `{error: {message, type, param, code}}`. Unknown errors become a 500 with
 * an `errorId` that is logged with the stack, so a client report can be matched to the log line; what is logged is
 * a redacted copy of the error (its fields can hold request data: a failed query's parameters, a body).
 */
export function toOpenAiError(
  err: unknown,
  logger: Logger,
): { status: number; body: OpenAiErrorBody; headers?: Record<string, string> } {
  const apiError = classify(err);
  if (apiError) {
    const { status, type } = API_ERROR_TABLE[apiError.code];
    return {
      status,
      headers: apiError.extra.headers,
      body: {
        error: {
          message: apiError.message,
          type: apiError.extra.type ?? type,
          param: apiError.param,
          code: apiError.code,
        },
      },
    };
  }
  if (err instanceof HttpException) {
    const status = err.getStatus();
    const code = HTTP_STATUS_CODES[status] ?? null;
    const type = status >= 500 ? 'server_error' : 'invalid_request_error';
    const invalidJson = status === 400 && /JSON/i.test(err.message);
    return {
      status,
      body: { error: { message: err.message, type, param: null, code: invalidJson ? ApiErrorCode.InvalidJson : code } },
    };
  }
  const errorId = randomUUID();
  logger.error({ err: redactedError(err), errorId }, `Unhandled error ${errorId}`);
  return {
    status: 500,
    body: {
      error: {
        message: `Internal server error (errorId ${errorId})`,
        type: 'server_error',
        param: null,
        code: ApiErrorCode.Internal,
      },
    },
  };
}

/** ioredis errors of an unreachable Redis (fail-fast connection, or a command lost with a dropped connection). */
const REDIS_DOWN = /Stream isn't writeable|Connection is closed|MaxRetriesPerRequest|ECONNREFUSED|ECONNRESET/;

function classify(err: unknown): ApiError | null {
  if (err instanceof ApiError) return err;
  if (err instanceof Error && (err.name === 'MaxRetriesPerRequestError' || REDIS_DOWN.test(err.message))) {
    return new ApiError(
      ApiErrorCode.ServiceUnavailable,
      'The platform is briefly unavailable (its queue store cannot be reached). Please retry shortly.',
      null,
      { headers: { 'retry-after': '2' } },
    );
  }
  if (err instanceof ZodError) return apiErrorFromZod(err);
  const fastifyCode = (err as { code?: unknown })?.code;
  if (typeof fastifyCode === 'string' && FASTIFY_ROUTER_CODES.has(fastifyCode)) {
    return apiErrorFromFramework(err as FastifyError);
  }
  if (typeof fastifyCode === 'string' && fastifyCode in FASTIFY_CODES) {
    const code = FASTIFY_CODES[fastifyCode]!;
    const message =
      code === ApiErrorCode.InvalidJson
        ? `We could not parse the JSON body of your request: ${(err as Error).message}`
        : (err as Error).message;
    return new ApiError(code, message);
  }
  const status = (err as { statusCode?: unknown })?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500 && err instanceof Error) {
    return new ApiError(status === 413 ? ApiErrorCode.PayloadTooLarge : ApiErrorCode.InvalidRequest, err.message);
  }
  return null;
}

@Catch()
export class OpenAiErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const { status, body, headers } = toOpenAiError(exception, this.logger);
    if (reply.sent || reply.raw.headersSent) {
      if (!reply.raw.writableEnded) reply.raw.end();
      return;
    }
    if (headers) void reply.headers(headers);
    void reply.status(status).header('content-type', 'application/json').send(body);
  }
}
