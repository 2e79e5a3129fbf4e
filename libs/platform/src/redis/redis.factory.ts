import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Redis, RedisOptions } from 'ioredis';
import { platformConfig } from '../config/platform.config';
import { ReadinessRegistry } from '../health/readiness.registry';

/**
 * Creates named ioredis connections from `REDIS_URL` and closes them all on shutdown. Connections retry forever
 * with back-off, so a Redis restart is survived; BullMQ requires `maxRetriesPerRequest: null`.
 */
@Injectable()
export class RedisFactory implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RedisFactory.name);
  private readonly connections: Redis[] = [];
  private shared: Redis | undefined;
  private request: Redis | undefined;

  constructor(
    @Inject(platformConfig.KEY) private readonly platform: ConfigType<typeof platformConfig>,
    private readonly readiness: ReadinessRegistry,
  ) {}

  onModuleInit(): void {
    this.readiness.register('redis', async () => {
      await this.client().ping();
    });
  }

  get options(): RedisOptions {
    return {
      maxRetriesPerRequest: null,
      enableReadyCheck: true,
      retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
    };
  }

  /** One shared connection for plain commands (publish, get/set). */
  client(): Redis {
    this.shared ??= this.create('shared');
    return this.shared;
  }

  /**
   * The connection for commands someone is waiting on (rate limits, enqueueing a client's job): while Redis is
   * unreachable they fail at once instead of queueing in memory until it returns, so a request gets a quick 503
   * and nothing hangs. (BullMQ recommends the same for producers: enableOfflineQueue false.)
   */
  requestClient(): Redis {
    this.request ??= this.create('request', { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    return this.request;
  }

  create(role: string, overrides: RedisOptions = {}): Redis {
    const conn = new Redis(this.platform.redisUrl, { ...this.options, ...overrides, connectionName: role });
    conn.on('error', (err) => this.logger.warn(`redis (${role}): ${err.message}`));
    this.connections.push(conn);
    return conn;
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.connections.map((c) => c.quit().catch(() => c.disconnect())));
  }
}
