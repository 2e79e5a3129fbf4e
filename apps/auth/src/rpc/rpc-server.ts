import type { INestApplication, INestMicroservice } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { ReadinessRegistry, redisTransportOptions } from '@llmp/platform';
import { SingleDeliveryServerRedis } from './single-delivery-server-redis';

/**
 * Serves the AUTH_RPC patterns over @nestjs/microservices with the Redis transport (REDIS_URL), beside the HTTP
 * app (health, metrics). The app is initialised first, so no request arrives before the signing key is loaded and
 * the first admin exists. Each request is handled by one replica only (see SingleDeliveryServerRedis). Readiness
 * includes the transport's two Redis connections.
 */
export async function startRpcServer(
  app: INestApplication,
  redisUrl: string,
  queuePrefix: string,
): Promise<INestMicroservice> {
  await app.init();
  const { options } = redisTransportOptions(redisUrl);
  const strategy = new SingleDeliveryServerRedis(options ?? {}, `${queuePrefix}:auth:rpc-claim`);
  const rpc = app.connectMicroservice({ strategy });
  await app.startAllMicroservices();
  app.get(ReadinessRegistry).register('rpc', async () => {
    const connections = rpc.unwrap<[Redis, Redis]>();
    const down = connections.filter((c) => c.status !== 'ready');
    if (down.length) throw new Error(`RPC transport not connected (${down.map((c) => c.status).join(', ')})`);
  });
  return rpc;
}
