import type { ArgumentsHost } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import { ZodError, z } from 'zod';
import { apiErrorFromZod } from '../errors/zod-error';
import { DomainRpcExceptionFilter } from './domain-rpc-exception.filter';
import { RpcDomainError } from './rpc-domain-error';

enum ShopErrorCode {
  InvalidRequest = 'invalid_request',
  NotFound = 'not_found',
  Conflict = 'conflict',
}

class ShopError extends RpcDomainError<ShopErrorCode> {}

const ShopRpcErrorSchema = z.object({
  code: z.nativeEnum(ShopErrorCode),
  message: z.string(),
  param: z.string().nullable().default(null),
});

const host = {
  switchToRpc: () => ({ getContext: () => ({ getChannel: () => 'shop.test.v1' }), getData: () => ({}) }),
} as unknown as ArgumentsHost;

async function sent(exception: unknown): Promise<Record<string, unknown>> {
  const filter = new DomainRpcExceptionFilter({
    service: 'shop',
    errorClass: ShopError,
    fromZod: (err: ZodError) => {
      const { message, param } = apiErrorFromZod(err);
      return new ShopError(ShopErrorCode.InvalidRequest, message, param);
    },
    payloadSchema: ShopRpcErrorSchema,
  });
  // The error is logged for unknown exceptions; keep the test output quiet.
  (filter as unknown as { logger: { error: () => void } }).logger = { error: () => undefined };
  try {
    await firstValueFrom(filter.catch(exception, host));
  } catch (payload) {
    return payload as Record<string, unknown>;
  }
  throw new Error('the filter did not fail the observable');
}

describe('DomainRpcExceptionFilter', () => {
  it('sends a domain error as {code, message, param}', async () => {
    expect(await sent(new ShopError(ShopErrorCode.NotFound, 'No such basket.', 'id'))).toEqual({
      code: 'not_found',
      message: 'No such basket.',
      param: 'id',
    });
    expect(await sent(new ShopError(ShopErrorCode.Conflict, 'taken', 'response.id'))).toEqual({
      code: 'conflict',
      message: 'taken',
      param: 'response.id',
    });
  });

  it('sends a zod failure as invalid_request naming the field', async () => {
    const zodError = z.object({ name: z.string() }).safeParse({ name: 1 }).error!;
    expect(await sent(zodError)).toMatchObject({ code: 'invalid_request', param: 'name' });
    const nested = z.object({ items: z.array(z.object({ role: z.enum(['user']) })) }).safeParse({
      items: [{ role: 'robot' }],
    }).error!;
    expect(await sent(nested)).toMatchObject({ code: 'invalid_request', param: 'items[0].role' });
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
    expect(JSON.stringify(await sent(new Error('password=hunter2')))).not.toContain('hunter2');
  });
});
