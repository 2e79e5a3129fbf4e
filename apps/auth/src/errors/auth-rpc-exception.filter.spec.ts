import type { ArgumentsHost } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import { z } from 'zod';
import { AuthErrorCode } from '@llmp/contracts';
import { AuthRpcExceptionFilter } from './auth-rpc-exception.filter';
import { AuthError } from './auth.error';

const host = {
  switchToRpc: () => ({ getContext: () => ({ getChannel: () => 'auth.test.v1' }), getData: () => ({}) }),
} as unknown as ArgumentsHost;

async function sent(exception: unknown): Promise<Record<string, unknown>> {
  const filter = new AuthRpcExceptionFilter();
  // The error is logged for unknown exceptions; keep the test output quiet.
  (filter as unknown as { logger: { error: () => void } }).logger = { error: () => undefined };
  try {
    await firstValueFrom(filter.catch(exception, host));
  } catch (payload) {
    return payload as Record<string, unknown>;
  }
  throw new Error('the filter did not fail the observable');
}

describe('AuthRpcExceptionFilter', () => {
  it('sends a domain error as {code, message, param, retryAfter}', async () => {
    const err = new AuthError(AuthErrorCode.TooManyAttempts, 'Slow down.', null, 42);
    expect(await sent(err)).toEqual({ code: 'too_many_attempts', message: 'Slow down.', param: null, retryAfter: 42 });
    expect(await sent(AuthError.notFound('API key'))).toEqual({
      code: 'not_found',
      message: 'No such API key.',
      param: 'id',
    });
  });

  it('sends a zod failure as invalid_request naming the field', async () => {
    const zodError = z.object({ name: z.string() }).safeParse({ name: 1 }).error!;
    expect(await sent(zodError)).toMatchObject({ code: 'invalid_request', param: 'name' });
  });

  it('passes an RpcException carrying a contract error through', async () => {
    const payload = { code: 'not_found', message: 'gone', param: null };
    expect(await sent(new RpcException(payload))).toEqual(payload);
  });

  it('hides anything else behind code internal with an errorId', async () => {
    const out = await sent(new Error('connection reset with secret details'));
    expect(out).toEqual({
      code: 'internal',
      message: expect.stringContaining(String(out.errorId)),
      param: null,
      errorId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect(JSON.stringify(out)).not.toContain('secret');
  });
});
