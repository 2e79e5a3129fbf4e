import { Spend } from './spend.service';
import { Injectable, Logger } from '@nestjs/common';
import { Principal, USAGE_QUEUE, Usage, UsageRecordV1Payload } from '@llmp/contracts';
import { JobProducer } from '@llmp/platform';

/** Records token usage through the usage queue: never awaited by the response, idempotent by request id. */
@Injectable()
export class UsageRecorder {
  private readonly logger = new Logger(UsageRecorder.name);

  constructor(
    private readonly producer: JobProducer,
    private readonly spend: Spend,
  ) {}

  record(
    p: Principal,
    requestId: string,
    model: string,
    endpoint: UsageRecordV1Payload['endpoint'],
    usage: Usage,
  ): void {
    const cost = this.spend.costOf(model, usage);
    if (cost) this.spend.add(p, cost);
    const payload: UsageRecordV1Payload = {
      requestId,
      userId: p.userId,
      apiKeyId: p.keyId,
      model,
      endpoint,
      promptTokens: usage.promptTokens,
      completionTokens: usage.completionTokens,
      ...(cost ? { cost } : {}),
      at: Date.now(),
    };
    this.producer
      .add(USAGE_QUEUE, 'usage.record.v1', payload, {
        jobId: `usage-${requestId}`,
        attempts: 10,
        backoff: { type: 'exponential', delay: 1000 },
        removeOnComplete: true,
        removeOnFail: { age: 7 * 24 * 3600 },
      })
      .catch((err: Error) => this.logger.error({ err, requestId }, 'could not enqueue usage record'));
  }
}
