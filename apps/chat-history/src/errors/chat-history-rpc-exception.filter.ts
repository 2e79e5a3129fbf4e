import { ArgumentsHost, Catch, Logger, RpcExceptionFilter } from '@nestjs/common';
import { RedisContext, RpcException } from '@nestjs/microservices';
import { randomUUID } from 'node:crypto';
import { Observable, throwError } from 'rxjs';
import { ZodError } from 'zod';
import { ChatHistoryErrorCode, ChatHistoryRpcError, ChatHistoryRpcErrorSchema } from '@llmp/contracts';
import { ChatHistoryError } from './chat-history.error';
import { chatHistoryErrorFromZod } from './rpc-request';

/**
 * Sends every failure of an RPC handler back to the caller as a plain JSON object: domain errors as
 * `{code, message, param}`, anything else as `{code: 'internal', ...}` with an errorId logged with the stack.
 */
@Catch()
export class ChatHistoryRpcExceptionFilter implements RpcExceptionFilter<unknown> {
  private readonly logger = new Logger('ChatHistoryRpc');

  catch(exception: unknown, host: ArgumentsHost): Observable<never> {
    if (exception instanceof ChatHistoryError) return throwError(() => exception.toPayload());
    if (exception instanceof ZodError) return throwError(() => chatHistoryErrorFromZod(exception).toPayload());
    if (exception instanceof RpcException) {
      const parsed = ChatHistoryRpcErrorSchema.safeParse(exception.getError());
      if (parsed.success) return throwError(() => parsed.data);
    }
    const errorId = randomUUID();
    const pattern = host.switchToRpc().getContext<Partial<RedisContext> | undefined>()?.getChannel?.();
    this.logger.error({ err: exception, errorId, pattern }, `Unhandled error ${errorId}`);
    const payload: ChatHistoryRpcError = {
      code: ChatHistoryErrorCode.Internal,
      message: `Internal error in the chat-history service (errorId ${errorId})`,
      param: null,
      errorId,
    };
    return throwError(() => payload);
  }
}
