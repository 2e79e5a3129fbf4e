import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { Principal, Usage } from '@llmp/contracts';
import { ApiError, ApiErrorCode, Pricing, RedisFactory, platformConfig } from '@llmp/platform';
import { gatewayConfig } from '../config/gateway.config';

/** A month's spend counter lives a little longer than the month. */
const MONTH_KEY_TTL_S = 40 * 24 * 3600;

/**
 * Cost and budgets. A request's cost comes from its model's price table (per million input and output tokens);
 * each user's spend this month (UTC) is a Redis counter shared by every gateway replica, added to as usage is
 * recorded, and a user whose spend has reached their `monthly_budget` gets 429 `budget_exceeded` before any job
 * runs. The usage records in Postgres stay the truth (`GET /v1/usage` sums their cost); the counter is a fast
 * gate, and if Redis loses it the month's gate restarts from zero (a documented gap).
 */
@Injectable()
export class Spend {
  private readonly logger = new Logger(Spend.name);
  private readonly prices: Map<string, Pricing>;
  private readonly prefix: string;

  constructor(
    private readonly redis: RedisFactory,
    @Inject(platformConfig.KEY) platform: ConfigType<typeof platformConfig>,
    @Inject(gatewayConfig.KEY) cfg: ConfigType<typeof gatewayConfig>,
  ) {
    this.prices = new Map(
      cfg.models.flatMap((m): [string, Pricing][] => ('pricing' in m && m.pricing ? [[m.id, m.pricing]] : [])),
    );
    this.prefix = `${platform.queuePrefix}:spend`;
  }

  /** The cost of a request on a model, or null for an unpriced one. */
  costOf(model: string, usage: Usage): number | null {
    const price = this.prices.get(model);
    if (!price) return null;
    return (usage.promptTokens * price.input + usage.completionTokens * price.output) / 1_000_000;
  }

  /** Adds a recorded request's cost to the user's month. */
  add(p: Principal, cost: number): void {
    if (cost <= 0) return;
    const key = this.key(p.userId);
    void this.redis
      .requestClient()
      .multi()
      .incrbyfloat(key, cost)
      .expire(key, MONTH_KEY_TTL_S)
      .exec()
      .catch((err: Error) => this.logger.warn(`spend counter not updated: ${err.message}`));
  }

  /** 429 `budget_exceeded` when the user's month has reached their budget. */
  async check(p: Principal): Promise<void> {
    if (p.monthlyBudget === null || p.monthlyBudget === undefined) return;
    const spent = Number((await this.redis.requestClient().get(this.key(p.userId))) ?? 0);
    if (spent < p.monthlyBudget) return;
    throw new ApiError(
      ApiErrorCode.BudgetExceeded,
      `You have reached your monthly budget (${p.monthlyBudget}; spent ${round(spent)} this month). It resets on the 1st (UTC); an admin can raise it.`,
      null,
      { type: 'insufficient_quota' },
    );
  }

  private key(userId: string): string {
    return `${this.prefix}:${userId}:${new Date().toISOString().slice(0, 7)}`;
  }
}

const round = (n: number) => Math.round(n * 1e6) / 1e6;
