import type { ArgumentsHost } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import { z } from 'zod';
import { ChatHistoryErrorCode } from '@llmp/contracts';
import { ChatHistoryRpcExceptionFilter } from './chat-history-rpc-exception.filter';
import { ChatHistoryError } from './chat-history.error';

const host = {
  switchToRpc: () => ({ getContext: () => ({ getChannel: () => 'chat-history.test.v1' }), getData: () => ({}) }),
} as unknown as ArgumentsHost;

async function sent(exception: unknown): Promise<Record<string, unknown>> {
  const filter = new ChatHistoryRpcExceptionFilter();
  (filter as unknown as { logger: { error: () => void } }).logger = { error: () => undefined };
  try {
    await firstValueFrom(filter.catch(exception, host));
  } catch (payload) {
    return payload as Record<string, unknown>;
  }
  throw new Error('the filter did not fail the observable');
}

describe('ChatHistoryRpcExceptionFilter', () => {
  it('sends a domain error as {code, message, param}', async () => {
    expect(await sent(ChatHistoryError.notFound('conversation'))).toEqual({
      code: 'not_found',
      message: 'No such conversation.',
      param: 'id',
    });
    expect(await sent(new ChatHistoryError(ChatHistoryErrorCode.Conflict, 'taken', 'response.id'))).toEqual({
      code: 'conflict',
      message: 'taken',
      param: 'response.id',
    });
  });

  it('sends a zod failure as invalid_request naming the field', async () => {
    const zodError = z.object({ items: z.array(z.object({ role: z.enum(['user']) })) }).safeParse({
      items: [{ role: 'robot' }],
    }).error!;
    expect(await sent(zodError)).toMatchObject({ code: 'invalid_request', param: 'items[0].role' });
  });

  it('passes an RpcException carrying a contract error through', async () => {
    const payload = { code: 'not_found', message: 'gone', param: null };
    expect(await sent(new RpcException(payload))).toEqual(payload);
  });

  it('hides anything else behind code internal with an errorId', async () => {
    const out = await sent(new Error('password=hunter2'));
    expect(out).toEqual({
      code: 'internal',
      message: expect.stringContaining(String(out.errorId)),
      param: null,
      errorId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect(JSON.stringify(out)).not.toContain('hunter2');
  });
});
