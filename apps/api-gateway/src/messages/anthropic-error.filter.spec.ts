import { ApiErrorCode } from '@llmp/platform';
import { anthropicMessage, anthropicStatus } from './anthropic-error.filter';

describe("Anthropic's error types", () => {
  it.each([
    [400, ApiErrorCode.InvalidRequest, 400, 'invalid_request_error'],
    [400, ApiErrorCode.UnsupportedParameter, 400, 'invalid_request_error'],
    [401, ApiErrorCode.InvalidApiKey, 401, 'authentication_error'],
    [403, ApiErrorCode.PermissionDenied, 403, 'permission_error'],
    [404, ApiErrorCode.ModelNotFound, 404, 'not_found_error'],
    [413, ApiErrorCode.PayloadTooLarge, 413, 'request_too_large'],
    [429, ApiErrorCode.RateLimitExceeded, 429, 'rate_limit_error'],
    [429, ApiErrorCode.ServerOverloaded, 529, 'overloaded_error'],
    [429, ApiErrorCode.BudgetExceeded, 429, 'billing_error'],
    [503, ApiErrorCode.ServiceUnavailable, 503, 'overloaded_error'],
    [504, ApiErrorCode.Timeout, 504, 'timeout_error'],
    [502, ApiErrorCode.WorkerFailed, 502, 'api_error'],
    [500, ApiErrorCode.Internal, 500, 'api_error'],
    [405, null, 405, 'invalid_request_error'],
  ])('%i %s → %i %s', (status, code, outStatus, type) => {
    expect(anthropicStatus(status, code)).toEqual({ status: outStatus, type });
  });

  it('names the field in front of a message that does not name it', () => {
    expect(
      anthropicMessage("'document' content blocks are not supported by this server.", 'messages[0].content[1]'),
    ).toBe("messages[0].content[1]: 'document' content blocks are not supported by this server.");
    expect(anthropicMessage("Invalid value for 'max_tokens': Required", 'max_tokens')).toBe(
      "Invalid value for 'max_tokens': Required",
    );
    expect(anthropicMessage('Invalid API key', null)).toBe('Invalid API key');
  });
});
