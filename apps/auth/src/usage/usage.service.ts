import { Injectable } from '@nestjs/common';
import type { UsageQuery, UsageRecordBatchV1Payload, UsageRecordV1Payload, UsageReport } from '@llmp/contracts';
import { resolveUsageRange } from './usage-range';
import { UsageRepository } from './usage.repository';

@Injectable()
export class UsageService {
  constructor(private readonly usage: UsageRepository) {}

  async record(payload: UsageRecordV1Payload): Promise<{ recorded: boolean }> {
    return { recorded: await this.usage.insertOnce(payload) };
  }

  async recordBatch(payload: UsageRecordBatchV1Payload): Promise<{ recorded: number }> {
    return { recorded: await this.usage.insertManyOnce(payload.records) };
  }

  /** userId null: every user's usage (the gateway allows that to admins only). */
  async report(userId: string | null, query: Omit<UsageQuery, 'user_id'>): Promise<UsageReport> {
    const { from, to } = resolveUsageRange(query.from, query.to);
    return {
      object: 'usage.report',
      group_by: query.group_by,
      from,
      to,
      data: await this.usage.aggregate(userId, from, to, query.group_by),
    };
  }
}
