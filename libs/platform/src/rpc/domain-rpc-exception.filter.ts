import { ArgumentsHost, Catch, Logger, RpcExceptionFilter } from '@nestjs/common';
import { RedisContext, RpcException } from '@nestjs/microservices';
import { randomUUID } from 'node:crypto';
import { Observable, throwError } from 'rxjs';
import { ZodError, ZodTypeAny } from 'zod';
import { RpcDomainError } from './rpc-domain-error';

/** What an unexpected failure looks like to the caller; `internal` is in no service's domain on purpose. */
export interface InternalRpcError {
  code: 'internal';
  message: string;
  param: null;
  errorId: string;
}

/** How one service's failures reach its callers. */
export interface DomainRpcErrors {
  /** Names the service in the log context and in the message of an internal error (`auth`, `chat-history`). */
  service: string;
  /** The service's domain error class: its errors are sent as their `toPayload()`. */
  errorClass: abstract new (...args: never[]) => RpcDomainError<string>;
  /** The service's `invalid_request` error for a request that failed its contract schema. */
  fromZod: (err: ZodError) => RpcDomainError<string>;
  /** The contract's error payload: an RpcException carrying a valid one is passed through as it is. */
  payloadSchema: ZodTypeAny;
}

/**
 * Sends every failure of an RPC handler back to the caller as a plain JSON object: domain errors as
 * `{code, message, param, ...}` (the contract's error payload), anything else as `{code: 'internal', ...}` with an
 * errorId that is logged with the stack. A service registers it through a subclass that names its errors.
 */
@Catch()
export class DomainRpcExceptionFilter implements RpcExceptionFilter<unknown> {
  private readonly logger: Logger;

  constructor(private readonly errors: DomainRpcErrors) {
    this.logger = new Logger(`${errors.service}-rpc`);
  }

  catch(exception: unknown, host: ArgumentsHost): Observable<never> {
    if (exception instanceof this.errors.errorClass) return throwError(() => exception.toPayload());
    if (exception instanceof ZodError) return throwError(() => this.errors.fromZod(exception).toPayload());
    if (exception instanceof RpcException) {
      const parsed = this.errors.payloadSchema.safeParse(exception.getError());
      if (parsed.success) return throwError(() => parsed.data);
    }
    const errorId = randomUUID();
    const pattern = host.switchToRpc().getContext<Partial<RedisContext> | undefined>()?.getChannel?.();
    this.logger.error({ err: exception, errorId, pattern }, `Unhandled error ${errorId}`);
    const payload: InternalRpcError = {
      code: 'internal',
      message: `Internal error in the ${this.errors.service} service (errorId ${errorId})`,
      param: null,
      errorId,
    };
    return throwError(() => payload);
  }
}
