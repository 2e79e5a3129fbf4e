import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { AUTH_RPC, AuthErrorCode, AuthRpcErrorSchema, AuthRpcName, AuthRpcRequest } from '@llmp/contracts';
import { ApiError, ApiErrorCode, RpcClient, platformConfig } from '@llmp/platform';
import { gatewayConfig } from '../config/gateway.config';

const ERROR_CODES: Record<AuthErrorCode, ApiErrorCode> = {
  [AuthErrorCode.InvalidRequest]: ApiErrorCode.InvalidRequest,
  [AuthErrorCode.WeakPassword]: ApiErrorCode.WeakPassword,
  [AuthErrorCode.UsernameTaken]: ApiErrorCode.UsernameTaken,
  [AuthErrorCode.InvalidCredentials]: ApiErrorCode.InvalidCredentials,
  [AuthErrorCode.InvalidToken]: ApiErrorCode.InvalidToken,
  [AuthErrorCode.TooManyAttempts]: ApiErrorCode.TooManyAttempts,
  [AuthErrorCode.NotFound]: ApiErrorCode.NotFound,
  [AuthErrorCode.PermissionDenied]: ApiErrorCode.PermissionDenied,
  [AuthErrorCode.Internal]: ApiErrorCode.Internal,
};

/** Calls the auth app; its domain errors become API errors. */
@Injectable()
export class AuthRpcClient implements OnApplicationShutdown {
  private readonly rpc: RpcClient;

  constructor(
    @Inject(platformConfig.KEY) platform: ConfigType<typeof platformConfig>,
    @Inject(gatewayConfig.KEY) cfg: ConfigType<typeof gatewayConfig>,
  ) {
    this.rpc = new RpcClient(platform.redisUrl, platform.queuePrefix, 'auth', cfg.authRpcTimeoutMs, (err) => {
      const parsed = AuthRpcErrorSchema.safeParse(err);
      if (!parsed.success) return null;
      const { code, message, param, retryAfter } = parsed.data;
      const headers = retryAfter !== undefined ? { 'retry-after': String(retryAfter) } : undefined;
      return new ApiError(ERROR_CODES[code], message, param, { headers });
    });
  }

  /**
   * One call. The auth service unreachable (the RPC rides on Redis: an outage, or no replica answering in time) is a
   * 503 that says when to retry, like every other 503 of the gateway.
   */
  async call<T>(name: AuthRpcName, data: AuthRpcRequest<typeof name>): Promise<T> {
    try {
      return await this.rpc.send<T>(AUTH_RPC[name].pattern, data);
    } catch (err) {
      if (err instanceof ApiError && err.code === ApiErrorCode.ServiceUnavailable && !err.extra.headers) {
        throw new ApiError(err.code, err.message, err.param, { ...err.extra, headers: { 'retry-after': '2' } });
      }
      throw err;
    }
  }

  onApplicationShutdown(): Promise<void> {
    return this.rpc.close();
  }
}
