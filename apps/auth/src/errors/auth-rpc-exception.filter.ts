import { ArgumentsHost, Catch, Logger, RpcExceptionFilter } from '@nestjs/common';
import { RedisContext, RpcException } from '@nestjs/microservices';
import { randomUUID } from 'node:crypto';
import { Observable, throwError } from 'rxjs';
import { ZodError } from 'zod';
import { AuthRpcErrorSchema } from '@llmp/contracts';
import { AuthError } from './auth.error';
import { authErrorFromZod } from './rpc-request';

/** What an unexpected failure looks like to the caller; `internal` is outside AuthErrorCode on purpose. */
export interface InternalRpcError {
  code: 'internal';
  message: string;
  param: null;
  errorId: string;
}

/**
 * Sends every failure of an RPC handler back to the caller as a plain JSON object: domain errors as
 * `{code, message, param, retryAfter?}` (the contract's AuthRpcError), anything else as `{code: 'internal', ...}`
 * with an errorId that is logged with the stack.
 */
@Catch()
export class AuthRpcExceptionFilter implements RpcExceptionFilter<unknown> {
  private readonly logger = new Logger('AuthRpc');

  catch(exception: unknown, host: ArgumentsHost): Observable<never> {
    if (exception instanceof AuthError) return throwError(() => exception.toPayload());
    if (exception instanceof ZodError) return throwError(() => authErrorFromZod(exception).toPayload());
    if (exception instanceof RpcException) {
      const parsed = AuthRpcErrorSchema.safeParse(exception.getError());
      if (parsed.success) return throwError(() => parsed.data);
    }
    const errorId = randomUUID();
    const pattern = host.switchToRpc().getContext<Partial<RedisContext> | undefined>()?.getChannel?.();
    this.logger.error({ err: exception, errorId, pattern }, `Unhandled error ${errorId}`);
    const payload: InternalRpcError = {
      code: 'internal',
      message: `Internal error in the auth service (errorId ${errorId})`,
      param: null,
      errorId,
    };
    return throwError(() => payload);
  }
}
