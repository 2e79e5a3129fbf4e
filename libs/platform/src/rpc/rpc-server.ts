import type { INestApplication, INestMicroservice } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { ReadinessRegistry } from '../health/readiness.registry';
import { redisTransportOptions } from '../redis/redis-transport';
import { rpcChannelPrefix } from './rpc-channels';
import { SingleDeliveryServerRedis } from './single-delivery-server-redis';

/**
 * Serves a service's RPC patterns over @nestjs/microservices with the Redis transport (REDIS_URL), beside its HTTP
 * app (health, metrics). The app is initialised first, so no request arrives before the service is ready (auth:
 * signing key loaded, first admin created). Each request is handled by one replica only (see
 * SingleDeliveryServerRedis). Readiness includes the transport's two Redis connections.
 */
export async function startRpcServer(
  app: INestApplication,
  opts: { redisUrl: string; queuePrefix: string; service: string },
): Promise<INestMicroservice> {
  await app.init();
  const { options } = redisTransportOptions(opts.redisUrl);
  const strategy = new SingleDeliveryServerRedis(
    options ?? {},
    `${opts.queuePrefix}:${opts.service}:rpc-claim`,
    rpcChannelPrefix(opts.queuePrefix),
  );
  const rpc = app.connectMicroservice({ strategy });
  await app.startAllMicroservices();
  app.get(ReadinessRegistry).register('rpc', async () => {
    const connections = rpc.unwrap<[Redis, Redis]>();
    const down = connections.filter((c) => c.status !== 'ready');
    if (down.length) throw new Error(`RPC transport not connected (${down.map((c) => c.status).join(', ')})`);
  });
  return rpc;
}
