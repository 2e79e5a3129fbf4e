import { ClientRedis, ReadPacket, RedisOptions, WritePacket } from '@nestjs/microservices';
import { redisTransportOptions } from '../redis/redis-transport';
import { injectRpcTraceContext } from './rpc-tracing';

/**
 * RPC channels live under the deployment's QUEUE_PREFIX (`<prefix>:rpc:<pattern>`), like its queues: two
 * deployments (or two test runs) sharing one Redis never answer each other's requests. Nest's Redis transport
 * publishes on the bare pattern, so the client and the server (SingleDeliveryServerRedis) both add the prefix.
 */
export function rpcChannelPrefix(queuePrefix: string): string {
  return `${queuePrefix}:rpc:`;
}

export class PrefixedClientRedis extends ClientRedis {
  constructor(
    options: Required<RedisOptions>['options'],
    private readonly channelPrefix: string,
  ) {
    super(options);
  }

  override getRequestPattern(pattern: string): string {
    return `${this.channelPrefix}${pattern}`;
  }

  override getReplyPattern(pattern: string): string {
    return `${this.channelPrefix}${pattern}.reply`;
  }

  /** Carries the caller's trace context in the packet while tracing is on (see rpc-tracing.ts). */
  protected override publish(partialPacket: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    injectRpcTraceContext(partialPacket);
    return super.publish(partialPacket, callback);
  }
}

/** A client for the RPC patterns of this deployment's services. */
export function createRpcClient(redisUrl: string, queuePrefix: string): ClientRedis {
  return new PrefixedClientRedis(redisTransportOptions(redisUrl).options ?? {}, rpcChannelPrefix(queuePrefix));
}
