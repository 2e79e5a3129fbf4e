import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { randomInt, randomUUID } from 'node:crypto';
import { JobPayload, JobsOf, Principal, cancelChannel, embeddingQueueName, inferenceQueueName } from '@llmp/contracts';
import { JobProducer, LocalModelDefinition, RedisFactory, platformConfig } from '@llmp/platform';
import { gatewayConfig } from '../config/gateway.config';
import { AdmissionControl } from './admission.service';
import { JobHandle } from './job-handle';
import { ReplyHub } from './reply-hub.service';

type InferenceJob = JobsOf<'inference'>;
/** Jobs whose worker answers on this replica's reply channel. */
type ReplyJob = InferenceJob | JobsOf<'embedding'>;

/** Submits inference and embedding jobs to the model's queue and cancels them when their client goes away. */
@Injectable()
export class InferenceClient {
  private byId: Map<string, LocalModelDefinition> | undefined;

  constructor(
    private readonly producer: JobProducer,
    private readonly hub: ReplyHub,
    private readonly redis: RedisFactory,
    private readonly admission: AdmissionControl,
    @Inject(platformConfig.KEY) private readonly platform: ConfigType<typeof platformConfig>,
    @Inject(gatewayConfig.KEY) private readonly cfg: ConfigType<typeof gatewayConfig>,
  ) {}

  /** The models of the workers (remote models are called by the gateway itself, see ProviderGateway). */
  private get models(): Map<string, LocalModelDefinition> {
    this.byId ??= new Map(
      this.cfg.models.flatMap((m): [string, LocalModelDefinition][] => (m.kind === 'remote' ? [] : [[m.id, m]])),
    );
    return this.byId;
  }

  get deadline(): number {
    return Date.now() + this.cfg.jobTimeoutMs;
  }

  async submit<N extends InferenceJob>(
    principal: Principal,
    model: string,
    name: N,
    payload: Omit<JobPayload<N>, 'replyTo'>,
  ): Promise<JobHandle> {
    // Every job carries its seed: a retry after its worker died then samples the same tokens, and the stream the
    // client already has can carry on (JobHandle checks the replayed text). OpenAI's behaviour without a seed, a
    // fresh random one per request, is unchanged.
    const seeded = payload.sampling.seed === undefined;
    const withSeed = seeded ? { ...payload, sampling: { ...payload.sampling, seed: randomInt(2 ** 31) } } : payload;
    return this.enqueue(principal, model, inferenceQueueName(model), name, withSeed);
  }

  /** An `embed.texts.v1` job on the model's embedding queue; its worker answers with `embeddings` or `error`. */
  async submitEmbedding(
    principal: Principal,
    model: string,
    payload: Omit<JobPayload<'embed.texts.v1'>, 'replyTo'>,
  ): Promise<JobHandle> {
    return this.enqueue(principal, model, embeddingQueueName(model), 'embed.texts.v1', payload);
  }

  private async enqueue<N extends ReplyJob>(
    principal: Principal,
    modelId: string,
    queueName: string,
    name: N,
    payload: Omit<JobPayload<N>, 'replyTo'>,
  ): Promise<JobHandle> {
    const model = this.models.get(modelId);
    if (!model) throw new Error(`unknown model ${modelId}`);
    const jobId = randomUUID();
    // Bounded queue: 429 here, before anything is enqueued, when the model's queue or the user's share is full.
    const queuedAhead = await this.admission.admit(model, queueName, jobId, principal);
    const handle = new JobHandle(
      jobId,
      queueName,
      (h) => this.cancel(h),
      (h) => {
        this.hub.forget(h);
        this.admission.release(h.jobId, h.completed);
      },
    );
    handle.queuedAhead = queuedAhead;
    // Registered before the job exists, so not even the first event can be missed.
    this.hub.register(handle);
    try {
      await this.producer.add(
        queueName,
        name,
        { ...payload, replyTo: { channel: this.hub.channel } } as JobPayload<N>,
        {
          jobId,
          attempts: this.cfg.jobAttempts,
          removeOnComplete: true,
          removeOnFail: { age: 24 * 3600, count: 1000 },
        },
      );
    } catch (err) {
      this.hub.forget(handle);
      this.admission.release(jobId, false);
      throw err;
    }
    return handle;
  }

  private cancel(handle: JobHandle): void {
    const redis = this.redis.client();
    redis.publish(cancelChannel(this.platform.queuePrefix), handle.jobId).catch(() => undefined);
    // A job still waiting is removed outright; an active one is locked and stops through the cancel message.
    this.producer
      .queue(handle.queueName)
      .remove(handle.jobId)
      .catch(() => undefined);
  }
}
