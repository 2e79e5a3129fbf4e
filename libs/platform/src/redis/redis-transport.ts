import { RedisOptions, Transport } from '@nestjs/microservices';

/** @nestjs/microservices Redis transport options from a `redis://user:pass@host:port/db` URL. */
export function redisTransportOptions(redisUrl: string): RedisOptions {
  const url = new URL(redisUrl);
  return {
    transport: Transport.REDIS,
    options: {
      host: url.hostname,
      port: Number(url.port || 6379),
      ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
      ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
      ...(url.pathname.length > 1 ? { db: Number(url.pathname.slice(1)) } : {}),
      retryAttempts: Number.MAX_SAFE_INTEGER,
      retryDelay: 500,
    },
  };
}
