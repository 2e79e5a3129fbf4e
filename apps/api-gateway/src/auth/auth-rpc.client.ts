import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { ClientProxy, ClientProxyFactory } from '@nestjs/microservices';
import { firstValueFrom, timeout } from 'rxjs';
import { AUTH_RPC, AuthErrorCode, AuthRpcErrorSchema, AuthRpcName, AuthRpcRequest } from '@llmp/contracts';
import { ApiError, ApiErrorCode, platformConfig, redisTransportOptions } from '@llmp/platform';
import { gatewayConfig } from '../config/gateway.config';

const ERROR_CODES: Record<AuthErrorCode, ApiErrorCode> = {
  [AuthErrorCode.InvalidRequest]: ApiErrorCode.InvalidRequest,
  [AuthErrorCode.WeakPassword]: ApiErrorCode.WeakPassword,
  [AuthErrorCode.UsernameTaken]: ApiErrorCode.UsernameTaken,
  [AuthErrorCode.InvalidCredentials]: ApiErrorCode.InvalidCredentials,
  [AuthErrorCode.InvalidToken]: ApiErrorCode.InvalidToken,
  [AuthErrorCode.TooManyAttempts]: ApiErrorCode.TooManyAttempts,
  [AuthErrorCode.NotFound]: ApiErrorCode.NotFound,
  [AuthErrorCode.Internal]: ApiErrorCode.Internal,
};

/** Calls the auth app over @nestjs/microservices (Redis transport); its domain errors become API errors. */
@Injectable()
export class AuthRpcClient implements OnApplicationShutdown {
  private readonly client: ClientProxy;

  constructor(
    @Inject(platformConfig.KEY) platform: ConfigType<typeof platformConfig>,
    @Inject(gatewayConfig.KEY) private readonly cfg: ConfigType<typeof gatewayConfig>,
  ) {
    this.client = ClientProxyFactory.create(redisTransportOptions(platform.redisUrl));
  }

  async call<T>(name: AuthRpcName, data: AuthRpcRequest<typeof name>): Promise<T> {
    try {
      return await firstValueFrom(
        this.client.send<T>(AUTH_RPC[name].pattern, data).pipe(timeout(this.cfg.authRpcTimeoutMs)),
      );
    } catch (err) {
      throw toApiError(err);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }
}

function toApiError(err: unknown): ApiError {
  if ((err as Error)?.name === 'TimeoutError') {
    return new ApiError(ApiErrorCode.ServiceUnavailable, 'The auth service did not answer in time; try again.');
  }
  const parsed = AuthRpcErrorSchema.safeParse(err);
  if (!parsed.success) {
    return new ApiError(ApiErrorCode.ServiceUnavailable, 'The auth service failed to answer; try again.');
  }
  const { code, message, param, retryAfter } = parsed.data;
  const headers = retryAfter !== undefined ? { 'retry-after': String(retryAfter) } : undefined;
  return new ApiError(ERROR_CODES[code], message, param, { headers });
}
