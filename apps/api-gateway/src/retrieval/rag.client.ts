import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { RAG_RPC, RagErrorCode, RagRpcErrorSchema, RagRpcName, RagRpcRequest, RagRpcResponse } from '@llmp/contracts';
import { ApiError, ApiErrorCode, RpcClient, platformConfig } from '@llmp/platform';
import { gatewayConfig } from '../config/gateway.config';

const ERROR_CODES: Record<RagErrorCode, ApiErrorCode> = {
  [RagErrorCode.InvalidRequest]: ApiErrorCode.InvalidRequest,
  [RagErrorCode.NotFound]: ApiErrorCode.NotFound,
  [RagErrorCode.Conflict]: ApiErrorCode.Conflict,
  [RagErrorCode.PayloadTooLarge]: ApiErrorCode.PayloadTooLarge,
  [RagErrorCode.Internal]: ApiErrorCode.Internal,
};

/** A rag failure as the client sees it; an internal one names the `errorId` the rag service logged. */
export function apiErrorFromRag(payload: unknown): ApiError | null {
  const parsed = RagRpcErrorSchema.safeParse(payload);
  if (!parsed.success) return null;
  const { code, message, param, errorId } = parsed.data;
  if (code === RagErrorCode.Internal) {
    return new ApiError(ApiErrorCode.Internal, `Internal server error (errorId ${errorId ?? 'unknown'})`, param);
  }
  return new ApiError(ERROR_CODES[code], message, param);
}

/**
 * Calls the rag app (files, vector stores, search) with typed requests and answers. Unreachable or silent, it is a
 * 503 with Retry-After (RpcClient), never an empty answer. Uploads wait longer (RAG_UPLOAD_TIMEOUT_MS) than the
 * other calls (RAG_RPC_TIMEOUT_MS), so a rag service that is down is reported quickly everywhere else.
 */
@Injectable()
export class RagClient implements OnApplicationShutdown {
  private readonly rpc: RpcClient;
  private readonly uploads: RpcClient;

  constructor(
    @Inject(platformConfig.KEY) platform: ConfigType<typeof platformConfig>,
    @Inject(gatewayConfig.KEY) cfg: ConfigType<typeof gatewayConfig>,
  ) {
    const client = (timeoutMs: number) =>
      new RpcClient(platform.redisUrl, platform.queuePrefix, 'rag', timeoutMs, apiErrorFromRag);
    this.rpc = client(cfg.ragRpcTimeoutMs);
    this.uploads = client(cfg.ragUploadTimeoutMs);
  }

  call<N extends RagRpcName>(name: N, data: RagRpcRequest<N>): Promise<RagRpcResponse<N>> {
    return (name === 'createFile' ? this.uploads : this.rpc).send(RAG_RPC[name].pattern, data);
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.rpc.close(), this.uploads.close()]);
  }
}
