import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Job, UnrecoverableError, Worker } from 'bullmq';
import {
  ChatCompleteV1Payload,
  GenerationResult,
  InferenceErrorCode,
  TextCompleteV1Payload,
  inferenceQueueName,
} from '@llmp/contracts';
import { JobHandlers, RedisFactory, createTypedWorker, platformConfig } from '@llmp/platform';
import { workerConfig } from '../config/worker.config';
import { InferenceMetrics } from '../metrics/inference.metrics';
import type { LoadedModel } from '../models/loaded-model';
import { ModelHost } from '../models/model-host.service';
import { CancelRegistry } from './cancel-registry.service';
import { GenerationError } from './generation-error';
import { GenerationHooks, GenerationService } from './generation.service';
import { JobEventPublisher } from './job-event-publisher';

/**
 * One BullMQ worker per served model on that model's queue, with concurrency = the model's slots: a job is taken
 * only when a slot is free, so excess work waits in Redis (visible, shared by every replica), not in memory.
 */
@Injectable()
export class InferenceProcessor implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(InferenceProcessor.name);
  private readonly workers: Worker[] = [];

  constructor(
    private readonly host: ModelHost,
    private readonly generation: GenerationService,
    private readonly cancels: CancelRegistry,
    private readonly redis: RedisFactory,
    private readonly metrics: InferenceMetrics,
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
        lockDuration: this.cfg.lockDurationMs,
        stalledInterval: Math.max(1000, Math.floor(this.cfg.lockDurationMs / 2)),
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
    );
    const controller = this.cancels.register(jobId);
    const pickedUp = performance.now();
    let firstTokenAt = 0;
    this.metrics.queueWait.observe(labels, Math.max(0, (job.processedOn ?? Date.now()) - job.timestamp) / 1000);
    this.metrics.busySlots.inc(labels);
    try {
      const result = await generate({
        signal: controller.signal,
        onStart: (promptTokens, context, prompt) => events.start(job.attemptsStarted, promptTokens, context, prompt),
        onText: payload.stream ? (text, logprobs) => events.delta(text, logprobs) : undefined,
        onToolCall: payload.stream ? (index, args, head) => events.toolCall(index, args, head) : undefined,
        onFirstToken: () => {
          firstTokenAt = performance.now();
          this.metrics.timeToFirstToken.observe(labels, (firstTokenAt - pickedUp) / 1000);
        },
      });
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
      this.metrics.busySlots.dec(labels);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    // Waits for running jobs to finish; jobs not yet taken stay in the queue for another worker.
    await Promise.all(this.workers.map((w) => w.close()));
  }
}
