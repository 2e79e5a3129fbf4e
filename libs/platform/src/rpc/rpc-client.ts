import type { ClientRedis } from '@nestjs/microservices';
import { firstValueFrom, timeout } from 'rxjs';
import { ApiError, ApiErrorCode } from '../errors/api-error';
import { createRpcClient } from './rpc-channels';
import { traceRpcCall } from './rpc-tracing';

/** A service that did not answer is usually back within seconds (a restart, a Redis reconnect). */
const RETRY_SOON = { headers: { 'retry-after': '2' } };

/**
 * Request/response over @nestjs/microservices (Redis transport) to one service, with a timeout (a call no
 * replica answers would wait forever) and the service's error payloads mapped to API errors. While tracing is on,
 * each call is a CLIENT span whose context the request packet carries to the service.
 */
export class RpcClient {
  private readonly proxy: ClientRedis;

  constructor(
    redisUrl: string,
    queuePrefix: string,
    private readonly service: string,
    private readonly timeoutMs: number,
    private readonly mapError: (payload: unknown) => ApiError | null,
  ) {
    this.proxy = createRpcClient(redisUrl, queuePrefix);
  }

  send<T>(pattern: string, data: unknown): Promise<T> {
    return traceRpcCall(this.service, pattern, () => this.call<T>(pattern, data));
  }

  private async call<T>(pattern: string, data: unknown): Promise<T> {
    try {
      return await firstValueFrom(this.proxy.send<T>(pattern, data).pipe(timeout(this.timeoutMs)));
    } catch (err) {
      if ((err as Error)?.name === 'TimeoutError') {
        throw new ApiError(
          ApiErrorCode.ServiceUnavailable,
          `The ${this.service} service did not answer in time; try again.`,
          null,
          RETRY_SOON,
        );
      }
      throw (
        this.mapError(err) ??
        new ApiError(
          ApiErrorCode.ServiceUnavailable,
          `The ${this.service} service failed to answer; try again.`,
          null,
          RETRY_SOON,
        )
      );
    }
  }

  close(): Promise<void> {
    return this.proxy.close();
  }
}
