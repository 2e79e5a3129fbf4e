import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Job, UnrecoverableError, WaitingError, Worker } from 'bullmq';
import {
  ChatCompleteV1Payload,
  GenerationResult,
  InferenceErrorCode,
  TextCompleteV1Payload,
  inferenceQueueName,
} from '@llmp/contracts';
import { JobHandlers, ReadinessRegistry, RedisFactory, createTypedWorker, platformConfig } from '@llmp/platform';
import { workerConfig } from '../config/worker.config';
import { InferenceMetrics } from '../metrics/inference.metrics';
import type { LoadedModel } from '../models/loaded-model';
import { ModelHost } from '../models/model-host.service';
import { CancelRegistry } from './cancel-registry.service';
import { GenerationError } from './generation-error';
import { GenerationHooks, GenerationService } from './generation.service';
import { JobEventPublisher } from './job-event-publisher';

/** Why a running generation was stopped by this worker itself (not by its client). */
const HANDED_BACK = 'handed back';

/**
 * One BullMQ worker per served model on that model's queue, with concurrency = the model's slots: a job is taken
 * only when a slot is free, so excess work waits in Redis (visible, shared by every replica), not in memory.
 *
 * Drain (SIGTERM, or recycling): readiness fails first, then the workers stop taking jobs and the running ones get
 * WORKER_DRAIN_TIMEOUT_MS to finish; those still running then are handed back (moved to the wait list at once, not
 * after a lock expiry), and their clients' streams continue on another worker (see the gateway's JobHandle).
 */
@Injectable()
export class InferenceProcessor implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger(InferenceProcessor.name);
  private readonly workers: Worker[] = [];
  /** Running jobs' abort controllers, to hand them back when the drain runs out of time. */
  private readonly running = new Map<string, AbortController>();
  private jobsDone = 0;
  private recycling = false;

  constructor(
    private readonly host: ModelHost,
    private readonly generation: GenerationService,
    private readonly cancels: CancelRegistry,
    private readonly redis: RedisFactory,
    private readonly metrics: InferenceMetrics,
    private readonly readiness: ReadinessRegistry,
    @Inject(platformConfig.KEY) private readonly platform: ConfigType<typeof platformConfig>,
    @Inject(workerConfig.KEY) private readonly cfg: ConfigType<typeof workerConfig>,
  ) {}

  onApplicationBootstrap(): void {
    for (const model of this.host.models) {
      const handlers: JobHandlers<'inference'> = {
        'chat.complete.v1': (payload, job) =>
          this.run(model, job, payload, (hooks) => this.generation.chat(model, payload, hooks)),
        'text.complete.v1': (payload, job) =>
          this.run(model, job, payload, (hooks) => this.generation.complete(model, payload, hooks)),
      };
      const worker = createTypedWorker('inference', inferenceQueueName(model.id), handlers, {
        connection: this.redis.create(`worker-${model.id}`),
        prefix: this.platform.queuePrefix,
        concurrency: model.definition.slots,
        // A killed worker's jobs are found stalled (and retried, or failed) within lock + interval: 5 s by default.
        lockDuration: this.cfg.lockDurationMs,
        stalledInterval: Math.max(500, Math.floor(this.cfg.lockDurationMs / 4)),
        maxStalledCount: this.cfg.maxStalledCount,
      });
      worker.on('error', (err) => this.logger.warn(`worker ${model.id}: ${err.message}`));
      this.workers.push(worker);
      this.logger.log(`Consuming ${inferenceQueueName(model.id)} with ${model.definition.slots} slots`);
    }
  }

  private async run(
    model: LoadedModel,
    job: Job,
    payload: ChatCompleteV1Payload | TextCompleteV1Payload,
    generate: (hooks: GenerationHooks) => Promise<GenerationResult>,
  ): Promise<GenerationResult> {
    const jobId = job.id!;
    const labels = { model: model.id };
    // Without replyTo (a producer waiting on BullMQ's completion) no stream events are published.
    const events = new JobEventPublisher(
      this.redis.client(),
      payload.replyTo?.channel ?? null,
      jobId,
      this.cfg.streamFlushMs,
      job.attemptsStarted,
    );
    const controller = this.cancels.register(jobId);
    this.running.set(jobId, controller);
    const pickedUp = performance.now();
    let firstTokenAt = 0;
    this.metrics.queueWait.observe(labels, Math.max(0, (job.processedOn ?? Date.now()) - job.timestamp) / 1000);
    this.metrics.busySlots.inc(labels);
    try {
      const result = await generate({
        signal: controller.signal,
        onStart: (promptTokens, context, dryRun) => events.start(promptTokens, context, dryRun),
        onText: payload.stream ? (text, logprobs) => events.delta(text, logprobs) : undefined,
        onToolCall: payload.stream ? (index, args, head) => events.toolCall(index, args, head) : undefined,
        onFirstToken: () => {
          firstTokenAt = performance.now();
          this.metrics.timeToFirstToken.observe(labels, (firstTokenAt - pickedUp) / 1000);
        },
      });
      if (controller.signal.reason === HANDED_BACK) {
        // Draining ran out of time: back to the wait list for another worker, at once and without an attempt
        // counted; the client's stream carries on there (its next attempt replays the same seed).
        await job.moveToWait(job.token);
        this.metrics.jobs.inc({ ...labels, outcome: 'handed_back' });
        throw new WaitingError();
      }
      // A stream's deltas carried its logprobs already.
      events.end(payload.stream ? { ...result, logprobs: undefined } : result);
      this.metrics.tokensGenerated.inc(labels, result.usage.completionTokens);
      this.metrics.promptTokens.inc(labels, result.usage.promptTokens);
      if (firstTokenAt && result.usage.completionTokens > 1) {
        const seconds = (performance.now() - firstTokenAt) / 1000;
        this.metrics.tokensPerSecond.observe(labels, (result.usage.completionTokens - 1) / seconds);
      }
      this.metrics.jobs.inc({ ...labels, outcome: result.finishReason });
      return result;
    } catch (err) {
      if (err instanceof WaitingError) throw err;
      if (err instanceof GenerationError) {
        await events.error(err.code, err.message, false, err.param);
        this.metrics.jobs.inc({ ...labels, outcome: 'rejected' });
        throw new UnrecoverableError(`${err.code}: ${err.message}`);
      }
      const retrying = job.attemptsMade + 1 < (job.opts.attempts ?? 1);
      this.logger.error({ err, jobId, requestId: payload.requestId }, `job ${jobId} failed`);
      await events.error(InferenceErrorCode.WorkerFailed, `Generation failed: ${(err as Error).message}`, retrying);
      this.metrics.jobs.inc({ ...labels, outcome: 'failed' });
      throw err;
    } finally {
      this.cancels.unregister(jobId);
      this.running.delete(jobId);
      this.metrics.busySlots.dec(labels);
      this.jobsDone += 1;
      this.maybeRecycle();
    }
  }

  /**
   * Recycling: past WORKER_RECYCLE_AFTER_JOBS jobs or WORKER_RECYCLE_RSS_MB of resident memory the worker drains
   * and exits like on SIGTERM (its supervisor, Kubernetes or `npm start`, starts a fresh one); running jobs finish
   * first and queued ones wait in Redis or go to the other replicas, so no work is dropped.
   */
  private maybeRecycle(): void {
    if (this.recycling) return;
    const { recycleAfterJobs, recycleRssBytes } = this.cfg;
    const byJobs = recycleAfterJobs > 0 && this.jobsDone >= recycleAfterJobs;
    const rss = recycleRssBytes > 0 ? process.memoryUsage.rss() : 0;
    if (!byJobs && !(recycleRssBytes > 0 && rss > recycleRssBytes)) return;
    this.recycling = true;
    this.logger.warn(
      byJobs
        ? `recycling after ${this.jobsDone} jobs`
        : `recycling at ${Math.round(rss / 2 ** 20)} MiB resident (limit ${Math.round(recycleRssBytes / 2 ** 20)})`,
    );
    // The same path as SIGTERM: Nest's shutdown hooks drain, then the process exits.
    process.kill(process.pid, 'SIGTERM');
  }

  /** Runs before the HTTP server closes: readiness has already failed (ReadinessRegistry.onModuleDestroy). */
  async beforeApplicationShutdown(): Promise<void> {
    this.readiness.drain();
    // close() stops fetching at once and resolves when the running jobs are done.
    const closed = Promise.all(this.workers.map((w) => w.close()));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      closed.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), this.cfg.drainTimeoutMs))),
    ]);
    clearTimeout(timer);
    if (!timedOut) return;
    this.logger.warn(`drain timed out after ${this.cfg.drainTimeoutMs} ms: handing back ${this.running.size} jobs`);
    for (const controller of this.running.values()) controller.abort(HANDED_BACK);
    await closed;
  }

  async onApplicationShutdown(): Promise<void> {
    // Already closed by the drain; close() is idempotent.
    await Promise.all(this.workers.map((w) => w.close()));
  }
}
