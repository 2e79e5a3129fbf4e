import { Module } from '@nestjs/common';
import { RateLimiter } from '@llmp/platform';
import { Spend } from './spend.service';
import { TokenMeter } from './token-meter.service';
import { UsageRecorder } from './usage-recorder.service';

/** Rate limits and usage: the request and token buckets, token reservations, usage records, cost and budgets. */
@Module({
  providers: [RateLimiter, UsageRecorder, TokenMeter, Spend],
  exports: [RateLimiter, UsageRecorder, TokenMeter, Spend],
})
export class MeteringModule {}
