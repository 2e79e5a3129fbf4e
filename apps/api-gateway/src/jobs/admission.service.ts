import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { Redis } from 'ioredis';
import type { Principal } from '@llmp/contracts';
import {
  ApiError,
  ApiErrorCode,
  LocalModelDefinition,
  RedisFactory,
  admissionLimits,
  platformConfig,
} from '@llmp/platform';
import { gatewayConfig } from '../config/gateway.config';
import { ADMIT_LUA, POSITION_LUA, RELEASE_LUA } from './admission.lua';

/** How long an admission lives without a heartbeat: a replica that dies frees its places within this. */
const LEASE_MS = 30_000;
const HEARTBEAT_MS = 10_000;

type AdmissionRedis = Redis & {
  llmpAdmit(...args: (string | number)[]): Promise<[number, number | string, number?, number?, number?]>;
  llmpRelease(...args: (string | number)[]): Promise<number>;
  llmpPosition(...args: (string | number)[]): Promise<[number, number, number]>;
};

interface Held {
  queueName: string;
  userId: string;
}

/** Where a queued job stands: jobs ahead of it (-1: no longer waiting) and the expected wait, when measurable. */
export interface QueuePosition {
  ahead: number;
  etaMs: number | null;
}

/**
 * Bounded queues with fairness. Every job a client submits is admitted first, atomically across replicas: its
 * model may have at most `served + max_queue` jobs in flight (served = the busy slots, at least the model's
 * `slots`) and one user at most `max_user_share` of that. Beyond it the request gets 429 `server_overloaded` at
 * once, with a Retry-After from the drain rate measured over the last minute, instead of waiting minutes in a queue.
 * Admissions are leases kept alive by this replica's heartbeat and released when the job ends.
 */
@Injectable()
export class AdmissionControl implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(AdmissionControl.name);
  private readonly held = new Map<string, Held>();
  private redis!: AdmissionRedis;
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(
    private readonly redisFactory: RedisFactory,
    @Inject(platformConfig.KEY) private readonly platform: ConfigType<typeof platformConfig>,
    @Inject(gatewayConfig.KEY) private readonly cfg: ConfigType<typeof gatewayConfig>,
  ) {}

  onModuleInit(): void {
    const redis = this.redisFactory.requestClient() as AdmissionRedis;
    if (!redis.llmpAdmit) {
      redis.defineCommand('llmpAdmit', { numberOfKeys: 4, lua: ADMIT_LUA });
      redis.defineCommand('llmpRelease', { numberOfKeys: 3, lua: RELEASE_LUA });
      redis.defineCommand('llmpPosition', { numberOfKeys: 2, lua: POSITION_LUA });
    }
    this.redis = redis;
    this.heartbeat = setInterval(() => this.renew(), HEARTBEAT_MS).unref();
  }

  /** Admits a job or throws 429 `server_overloaded`; returns how many jobs wait ahead of it (-1: a slot is free). */
  async admit(model: LocalModelDefinition, queueName: string, jobId: string, p: Principal): Promise<number> {
    const { served, maxQueue, userShare } = admissionLimits(model);
    // Without authentication every caller is the same local user: fairness between users means nothing.
    const userCap = this.cfg.authRequired ? Math.max(1, Math.ceil(userShare * (served + maxQueue))) : 0;
    const now = Date.now();
    const [ok, second, waiting = 0, done = 0, span = 60_000] = await this.redis.llmpAdmit(
      this.key(queueName),
      this.key(queueName, p.userId),
      `${this.platform.queuePrefix}:${queueName}:active`,
      this.key(queueName, null, 'done'),
      now,
      LEASE_MS,
      jobId,
      served,
      maxQueue,
      userCap,
    );
    if (ok === 1) {
      this.held.set(jobId, { queueName, userId: p.userId });
      return Number(second);
    }
    const retryAfter = retryAfterSeconds(waiting, done, span);
    const message =
      second === 'user'
        ? `You already have ${userCap} requests in flight for the model '${model.id}', the most one user may hold ` +
          `while others share it. Please retry in ${retryAfter}s or when one of them finishes.`
        : `The model '${model.id}' is overloaded: ${waiting} requests are waiting, its queue is full. ` +
          `Please retry in ${retryAfter}s.`;
    throw new ApiError(ApiErrorCode.ServerOverloaded, message, null, {
      headers: { 'retry-after': String(retryAfter), 'retry-after-ms': String(retryAfter * 1000) },
    });
  }

  /** Frees the job's place; `completed` counts it towards the drain rate. Never throws (the lease expires anyway). */
  release(jobId: string, completed: boolean): void {
    const held = this.held.get(jobId);
    if (!held) return;
    this.held.delete(jobId);
    this.redis
      .llmpRelease(
        this.key(held.queueName),
        this.key(held.queueName, held.userId),
        this.key(held.queueName, null, 'done'),
        Date.now(),
        jobId,
        completed ? 1 : 0,
      )
      .catch((err: Error) => this.logger.warn(`admission release ${jobId}: ${err.message}`));
  }

  async position(queueName: string, jobId: string): Promise<QueuePosition> {
    const [ahead, done, span] = await this.redis.llmpPosition(
      `${this.platform.queuePrefix}:${queueName}:wait`,
      this.key(queueName, null, 'done'),
      jobId,
      Date.now(),
    );
    const perMs = done > 0 ? done / Math.max(1000, span) : 0;
    return { ahead, etaMs: ahead >= 0 && perMs > 0 ? Math.round((ahead + 1) / perMs) : null };
  }

  onApplicationShutdown(): void {
    clearInterval(this.heartbeat);
  }

  private renew(): void {
    if (this.held.size === 0) return;
    const expiry = Date.now() + LEASE_MS;
    const pipeline = this.redis.pipeline();
    for (const [jobId, h] of this.held) {
      pipeline.zadd(this.key(h.queueName), 'XX', expiry, jobId);
      pipeline.zadd(this.key(h.queueName, h.userId), 'XX', expiry, jobId);
    }
    pipeline.exec().catch((err: Error) => this.logger.warn(`admission heartbeat: ${err.message}`));
  }

  private key(queueName: string, userId: string | null = null, suffix = ''): string {
    const base = `${this.platform.queuePrefix}:admission:${queueName}`;
    return userId ? `${base}:u:${userId}` : suffix ? `${base}:${suffix}` : base;
  }
}

/**
 * When retrying is likely to be admitted: once about half of the current queue has drained at the rate measured
 * over the last minute (sooner would meet a still-full queue, later would leave slots idle). 1–120 s; 10 s when
 * nothing has completed yet to measure.
 */
export function retryAfterSeconds(waiting: number, completedLastMinute: number, spanMs: number): number {
  if (completedLastMinute <= 0) return 10;
  const perSecond = completedLastMinute / (Math.max(1000, spanMs) / 1000);
  return Math.min(120, Math.max(1, Math.ceil(Math.max(1, waiting) / 2 / perSecond)));
}
