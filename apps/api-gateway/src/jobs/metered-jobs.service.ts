import { Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { Principal, Usage, UsageRecordV1Payload } from '@llmp/contracts';
import { Spend } from '../metering/spend.service';
import { TokenMeter } from '../metering/token-meter.service';
import { InferenceClient } from './inference-client.service';
import type { JobHandle } from './job-handle';

export interface MeteredJobSpec {
  principal: Principal;
  endpoint: UsageRecordV1Payload['endpoint'];
  model: string;
  /** Tokens reserved against the caller's per-minute token limits before the job is submitted. */
  reserveTokens: number;
  /** `gone` aborts when the client disconnects while the job is being submitted (a remote upstream's first token). */
  submit: (gone: AbortSignal) => Promise<JobHandle>;
  /** The model that served the job when a route chose it at submission (usage is recorded against it). */
  servedModel?: () => string;
}

/** A submitted job as the endpoint sees it: its events, the deadline for waiting on them, and usage recording. */
export interface MeteredJob {
  handle: JobHandle;
  deadline: number;
  /** Records the job's real usage; the reservation is settled to it when the request ends. */
  record(usage: Usage): void;
}

/**
 * The path every model endpoint shares: reserve tokens → submit the job → let the endpoint read its events
 * (whole response or stream) → settle the reservation to the real usage. A client that disconnects cancels the job;
 * a request that fails for any reason gives its reservation back and never leaves a job running.
 */
@Injectable()
export class MeteredJobs {
  constructor(
    private readonly meter: TokenMeter,
    private readonly client: InferenceClient,
    private readonly spend: Spend,
  ) {}

  async run<T>(reply: FastifyReply, spec: MeteredJobSpec, use: (job: MeteredJob) => Promise<T>): Promise<T> {
    await this.spend.check(spec.principal);
    const reservation = await this.meter.reserve(reply, spec.principal, spec.reserveTokens);
    let handle: JobHandle | undefined;
    try {
      const gone = new AbortController();
      // Only a client that left aborts: an abort builds a DOMException (a stack trace), measurable per request.
      reply.raw.once('close', () => {
        if (!reply.raw.writableFinished) gone.abort();
      });
      handle = await spec.submit(gone.signal);
      const job = handle;
      reply.raw.on('close', () => {
        if (!job.done) job.cancel();
      });
      return await use({
        handle: job,
        deadline: this.client.deadline,
        record: (usage) => reservation.record(job.jobId, spec.servedModel?.() ?? spec.model, spec.endpoint, usage),
      });
    } finally {
      if (handle && !handle.done) handle.cancel();
      reservation.settle();
    }
  }
}
