import { Module } from '@nestjs/common';
import { RateLimiter } from '@llmp/platform';
import { TokenMeter } from './token-meter.service';
import { UsageRecorder } from './usage-recorder.service';

/** Rate limits and usage: the request and token buckets, token reservations and usage records. */
@Module({
  providers: [RateLimiter, UsageRecorder, TokenMeter],
  exports: [RateLimiter, TokenMeter],
})
export class MeteringModule {}
