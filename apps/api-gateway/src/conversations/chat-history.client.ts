import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import {
  CHAT_HISTORY_RPC,
  ChatHistoryErrorCode,
  ChatHistoryRpcErrorSchema,
  ChatHistoryRpcName,
  ChatHistoryRpcRequest,
  ChatHistoryRpcResponse,
} from '@llmp/contracts';
import { ApiError, ApiErrorCode, RpcClient, platformConfig } from '@llmp/platform';
import { gatewayConfig } from '../config/gateway.config';

const ERROR_CODES: Record<ChatHistoryErrorCode, ApiErrorCode> = {
  [ChatHistoryErrorCode.InvalidRequest]: ApiErrorCode.InvalidRequest,
  [ChatHistoryErrorCode.NotFound]: ApiErrorCode.NotFound,
  [ChatHistoryErrorCode.Conflict]: ApiErrorCode.Conflict,
  [ChatHistoryErrorCode.Internal]: ApiErrorCode.Internal,
};

/** Calls the chat-history app with typed requests and answers. */
@Injectable()
export class ChatHistoryClient implements OnApplicationShutdown {
  private readonly rpc: RpcClient;

  constructor(
    @Inject(platformConfig.KEY) platform: ConfigType<typeof platformConfig>,
    @Inject(gatewayConfig.KEY) cfg: ConfigType<typeof gatewayConfig>,
  ) {
    this.rpc = new RpcClient(platform.redisUrl, platform.queuePrefix, 'chat-history', cfg.authRpcTimeoutMs, (err) => {
      const parsed = ChatHistoryRpcErrorSchema.safeParse(err);
      return parsed.success
        ? new ApiError(ERROR_CODES[parsed.data.code], parsed.data.message, parsed.data.param)
        : null;
    });
  }

  call<N extends ChatHistoryRpcName>(name: N, data: ChatHistoryRpcRequest<N>): Promise<ChatHistoryRpcResponse<N>> {
    return this.rpc.send(CHAT_HISTORY_RPC[name].pattern, data);
  }

  onApplicationShutdown(): Promise<void> {
    return this.rpc.close();
  }
}
