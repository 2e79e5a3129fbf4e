import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import type { UsageRecordV1Payload, UsageRow } from '@llmp/contracts';
import { UsageRecordEntity } from './usage-record.entity';

export type UsageGrouping = 'model' | 'key' | 'day';

/** SQL for each grouping; JWT traffic (no key) is grouped as `session`. Days are UTC. */
const GROUP_EXPRESSIONS: Record<UsageGrouping, string> = {
  model: 'r.model',
  key: `COALESCE(r.api_key_id::text, 'session')`,
  day: `to_char(r.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')`,
};

interface AggregateRow {
  group: string;
  requests: string;
  prompt_tokens: string;
  completion_tokens: string;
  cost: string;
}

@Injectable()
export class UsageRepository {
  constructor(@InjectRepository(UsageRecordEntity) private readonly records: Repository<UsageRecordEntity>) {}

  /** Records once per request id; false when it was already recorded (a retried or duplicated job). */
  async insertOnce(p: UsageRecordV1Payload): Promise<boolean> {
    const rows: unknown[] = await this.records.query(
      `INSERT INTO "auth"."usage_records"
         ("request_id", "user_id", "api_key_id", "model", "endpoint", "prompt_tokens", "completion_tokens", "created_at", "cost")
       VALUES ($1, $2, $3, $4, $5, $6, $7, to_timestamp($8::double precision / 1000), $9)
       ON CONFLICT ("request_id") DO NOTHING
       RETURNING "id"`,
      [p.requestId, p.userId, p.apiKeyId, p.model, p.endpoint, p.promptTokens, p.completionTokens, p.at, p.cost ?? 0],
    );
    return rows.length > 0;
  }

  /**
   * Records a batch in one statement, each record once per request id (also within the batch); returns how many
   * were new. The rows travel as one array per column (`unnest`), so the statement is the same for any batch size.
   */
  async insertManyOnce(records: readonly UsageRecordV1Payload[]): Promise<number> {
    if (records.length === 0) return 0;
    const rows: { inserted: number }[] = await this.records.query(
      `WITH inserted AS (
         INSERT INTO "auth"."usage_records"
           ("request_id", "user_id", "api_key_id", "model", "endpoint", "prompt_tokens", "completion_tokens", "created_at", "cost")
         SELECT r.request_id, r.user_id, r.api_key_id, r.model, r.endpoint, r.prompt_tokens, r.completion_tokens,
                to_timestamp(r.at / 1000), r.cost
           FROM unnest($1::text[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::integer[], $7::integer[],
                       $8::double precision[], $9::numeric[])
             AS r(request_id, user_id, api_key_id, model, endpoint, prompt_tokens, completion_tokens, at, cost)
         ON CONFLICT ("request_id") DO NOTHING
         RETURNING 1
       )
       SELECT count(*)::integer AS "inserted" FROM inserted`,
      [
        records.map((p) => p.requestId),
        records.map((p) => p.userId),
        records.map((p) => p.apiKeyId),
        records.map((p) => p.model),
        records.map((p) => p.endpoint),
        records.map((p) => p.promptTokens),
        records.map((p) => p.completionTokens),
        records.map((p) => p.at),
        records.map((p) => p.cost ?? 0),
      ],
    );
    return rows[0]?.inserted ?? 0;
  }

  /** Totals per group over [from, to) (unix seconds), for one user or (userId null) everyone; sorted by group. */
  async aggregate(userId: string | null, from: number, to: number, groupBy: UsageGrouping): Promise<UsageRow[]> {
    const group = GROUP_EXPRESSIONS[groupBy];
    const params: unknown[] = [from, to];
    let where = `r.created_at >= to_timestamp($1) AND r.created_at < to_timestamp($2)`;
    if (userId !== null) {
      params.push(userId);
      where += ` AND r.user_id = $3`;
    }
    const rows: AggregateRow[] = await this.records.query(
      `SELECT ${group} AS "group",
              count(*) AS "requests",
              sum(r.prompt_tokens) AS "prompt_tokens",
              sum(r.completion_tokens) AS "completion_tokens",
              sum(r.cost) AS "cost"
         FROM "auth"."usage_records" r
        WHERE ${where}
        GROUP BY 1
        ORDER BY (${group}) COLLATE "C"`,
      params,
    );
    return rows.map((r) => {
      const prompt = Number(r.prompt_tokens);
      const completion = Number(r.completion_tokens);
      return {
        group: r.group,
        requests: Number(r.requests),
        prompt_tokens: prompt,
        completion_tokens: completion,
        total_tokens: prompt + completion,
        cost: Number(r.cost),
      };
    });
  }
}
