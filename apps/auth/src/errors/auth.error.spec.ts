import { AuthErrorCode } from '@llmp/contracts';
import { AuthError } from './auth.error';

describe('AuthError', () => {
  it('is sent as {code, message, param, retryAfter}', () => {
    const err = new AuthError(AuthErrorCode.TooManyAttempts, 'Slow down.', null, 42);
    expect(err.toPayload()).toEqual({ code: 'too_many_attempts', message: 'Slow down.', param: null, retryAfter: 42 });
    expect(AuthError.notFound('API key').toPayload()).toEqual({
      code: 'not_found',
      message: 'No such API key.',
      param: 'id',
    });
  });
});
