import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { platformConfig } from '@llmp/platform';
import { AuthEventsPublisher } from './auth-events.publisher';

@Module({
  imports: [ConfigModule.forFeature(platformConfig)],
  providers: [AuthEventsPublisher],
  exports: [AuthEventsPublisher],
})
export class EventsModule {}
