import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { AuthEvent, authEventsChannel } from '@llmp/contracts';
import { RedisFactory, platformConfig } from '@llmp/platform';

/**
 * Pushes credential changes on `<prefix>:auth:events` (Redis PUBLISH), so every gateway replica drops its cached
 * principal at once instead of waiting for its cache to expire.
 */
@Injectable()
export class AuthEventsPublisher {
  private readonly channel: string;

  constructor(
    private readonly redis: RedisFactory,
    @Inject(platformConfig.KEY) platform: ConfigType<typeof platformConfig>,
  ) {
    this.channel = authEventsChannel(platform.queuePrefix);
  }

  async publish(event: AuthEvent): Promise<void> {
    await this.redis.client().publish(this.channel, JSON.stringify(event));
  }
}
