import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { OpenAiErrorBody } from '@llmp/contracts';
import { API_ERROR_TABLE, ApiError, ApiErrorCode } from './api-error';

/** Longest request URL (path and query) served; longer ones get 414 `uri_too_long`. */
export const DEFAULT_MAX_URL_LENGTH = 8 * 1024;

/**
 * Node's limit on the request line and headers together (its default is 16 KiB). Raised so that a URL over
 * {@link DEFAULT_MAX_URL_LENGTH} reaches Fastify and gets a 414 in OpenAI's shape; beyond it Node's parser stops
 * reading and {@link openAiClientErrorHandler} answers 431.
 */
export const MAX_HEADER_BYTES = 64 * 1024;

/** Fastify's router errors, which never reach Nest: a malformed URL and a path segment over `maxParamLength`. */
export function apiErrorFromFramework(err: FastifyError): ApiError {
  switch (err.code) {
    case 'FST_ERR_BAD_URL':
      return new ApiError(ApiErrorCode.InvalidRequest, 'The request URL is malformed (a bad percent-encoding).');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new ApiError(ApiErrorCode.UriTooLong, 'A segment of the request path is too long.');
    default:
      return new ApiError(ApiErrorCode.InvalidRequest, 'The request could not be routed.');
  }
}

export function openAiErrorBody(err: ApiError): OpenAiErrorBody {
  const { type } = API_ERROR_TABLE[err.code];
  return { error: { message: err.message, type: err.extra.type ?? type, param: err.param, code: err.code } };
}

/** Fastify `frameworkErrors`: router errors answered in OpenAI's shape, with the request id. */
export function replyFrameworkError(
  err: FastifyError,
  req: FastifyRequest,
  reply: FastifyReply,
  requestIdHeader: string,
) {
  const apiError = apiErrorFromFramework(err);
  void reply
    .status(apiError.status)
    .header(requestIdHeader, req.id)
    .header('content-type', 'application/json; charset=utf-8')
    .send(openAiErrorBody(apiError));
}

/** An onRequest hook answering 414 `uri_too_long` for a URL longer than `maxUrlLength` (before any route runs). */
export function rejectLongUrls(maxUrlLength: number) {
  return (req: FastifyRequest, reply: FastifyReply, done: () => void) => {
    if (req.url.length <= maxUrlLength) return done();
    const apiError = new ApiError(
      ApiErrorCode.UriTooLong,
      `The request URL is ${req.url.length} characters long; at most ${maxUrlLength} are accepted.`,
    );
    void reply
      .status(apiError.status)
      .header('content-type', 'application/json; charset=utf-8')
      .send(openAiErrorBody(apiError));
  };
}

/**
 * Fastify `clientErrorHandler`: what Node's HTTP parser rejects before Fastify has a request (request line and
 * headers over {@link MAX_HEADER_BYTES}, a read timeout, bytes that are not HTTP), answered in OpenAI's shape on the
 * raw socket, which is then closed, as Fastify's default handler does.
 */
export function openAiClientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  // A reset connection has nobody left to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const apiError =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? new ApiError(
          ApiErrorCode.HeadersTooLarge,
          `The request line and headers together exceed ${MAX_HEADER_BYTES} bytes (a URL over ${DEFAULT_MAX_URL_LENGTH} characters is refused).`,
        )
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? new ApiError(ApiErrorCode.RequestTimeout, 'The request was not received in time.')
        : new ApiError(ApiErrorCode.InvalidRequest, 'The request is not valid HTTP.');
  const body = JSON.stringify(openAiErrorBody(apiError));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${apiError.status} ${STATUS_CODES[apiError.status] ?? 'Error'}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Connection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}
