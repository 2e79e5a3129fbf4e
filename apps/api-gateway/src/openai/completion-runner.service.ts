import { Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import {
  GenerationResult,
  InferenceErrorCode,
  JobPayload,
  JobsOf,
  Principal,
  StreamEvent,
  UsageRecordV1Payload,
} from '@llmp/contracts';
import { API_ERROR_TABLE, ApiError, ApiErrorCode, RateLimiter } from '@llmp/platform';
import { rateLimitError, setRateLimitHeaders, tokenBuckets } from '../auth/rate-limit.policy';
import { UsageRecorder } from '../auth/usage-recorder.service';
import { InferenceClient } from '../inference/inference-client.service';
import type { JobHandle } from '../inference/job-handle';
import { GatewayMetrics } from '../metrics/gateway.metrics';
import { SseStream } from './sse-stream';

/** How one OpenAI endpoint renders results: the whole response, stream chunks, and the usage chunk. */
export interface CompletionFormat {
  response(id: string, result: GenerationResult): unknown;
  /** Chunk sent before any text (chat sends the assistant role here); null for none. */
  opening(id: string): unknown | null;
  delta(id: string, text: string): unknown;
  closing(id: string, result: GenerationResult): unknown;
  usage(id: string, result: GenerationResult): unknown;
}

export interface CompletionRun<N extends JobsOf<'inference'>> {
  principal: Principal;
  endpoint: UsageRecordV1Payload['endpoint'];
  /** Tokens reserved against the caller's per-minute token limits before generation (reconciled after). */
  reserveTokens: number;
  model: string;
  job: N;
  payload: Omit<JobPayload<N>, 'replyTo'>;
  stream: boolean;
  includeUsage: boolean;
  idPrefix: string;
  format: CompletionFormat;
}

const WORKER_CODES: Record<string, ApiErrorCode> = {
  [InferenceErrorCode.ContextLengthExceeded]: ApiErrorCode.ContextLengthExceeded,
  [InferenceErrorCode.UnsupportedCharacters]: ApiErrorCode.UnsupportedCharacters,
  [InferenceErrorCode.UnsupportedCapability]: ApiErrorCode.UnsupportedCapability,
  timeout: ApiErrorCode.Timeout,
};

function toApiError(ev: Extract<StreamEvent, { type: 'error' }>): ApiError {
  return new ApiError(WORKER_CODES[ev.code] ?? ApiErrorCode.WorkerFailed, ev.message, ev.param ?? null);
}

/**
 * Runs a completion job for an OpenAI endpoint: submit, wait for the worker to accept the prompt, then answer
 * as JSON or as SSE. Prompt errors arrive before any byte is sent, so they are real HTTP 4xx even when
 * streaming. A client disconnect cancels the job in the worker.
 */
@Injectable()
export class CompletionRunner {
  constructor(
    private readonly client: InferenceClient,
    private readonly metrics: GatewayMetrics,
    private readonly limiter: RateLimiter,
    private readonly usage: UsageRecorder,
  ) {}

  async run<N extends JobsOf<'inference'>>(reply: FastifyReply, run: CompletionRun<N>): Promise<void> {
    const started = performance.now();
    const reservation = tokenBuckets(run.principal, run.reserveTokens);
    const taken = await this.limiter.take(reservation);
    setRateLimitHeaders(reply, taken.states);
    if (!taken.allowed) throw rateLimitError(taken, 'tokens');
    let charged = 0;

    const handle = await this.client.submit(run.model, run.job, run.payload).catch(async (err: unknown) => {
      await this.limiter.adjust(tokenBuckets(run.principal, -run.reserveTokens));
      throw err;
    });
    const id = `${run.idPrefix}-${handle.jobId.replace(/-/g, '')}`;
    const deadline = this.client.deadline;
    reply.raw.on('close', () => {
      if (!handle.done) handle.cancel();
    });

    const finished = (result: GenerationResult) => {
      charged = result.usage.promptTokens + result.usage.completionTokens;
      this.metrics.observeCompletion(run.model, started, result.usage.completionTokens);
      this.usage.record(run.principal, handle.jobId, run.model, run.endpoint, result.usage);
    };
    try {
      let ev = await this.nextUseful(handle, deadline);
      if (ev.type === 'error') throw toApiError(ev);
      if (!run.stream) {
        while (ev.type !== 'end') {
          ev = await this.nextUseful(handle, deadline);
          if (ev.type === 'error') throw toApiError(ev);
        }
        finished(ev);
        await reply.send(run.format.response(id, ev));
        return;
      }
      await this.stream(reply, run, handle, id, deadline, started, finished);
    } finally {
      if (!handle.done) handle.cancel();
      // Reconcile the reservation with what was used (nothing, when the request failed or was cancelled early).
      void this.limiter.adjust(tokenBuckets(run.principal, charged - run.reserveTokens)).catch(() => undefined);
    }
  }

  private async stream<N extends JobsOf<'inference'>>(
    reply: FastifyReply,
    run: CompletionRun<N>,
    handle: JobHandle,
    id: string,
    deadline: number,
    started: number,
    finished: (result: GenerationResult) => void,
  ): Promise<void> {
    const sse = new SseStream(reply);
    const opening = run.format.opening(id);
    if (opening) sse.data(opening);
    let sentText = false;
    for (;;) {
      const ev = await handle.next(deadline);
      switch (ev.type) {
        case 'delta':
          if (!sentText) this.metrics.observeFirstToken(run.model, started);
          sentText = true;
          sse.data(run.format.delta(id, ev.text));
          break;
        case 'start':
          // A new attempt after a worker died: transparent unless the client already has text of the old one.
          if (sentText) return this.failStream(sse, handle, 'The worker serving this request failed mid-generation');
          break;
        case 'error':
          if (ev.retrying && !sentText) break;
          return this.failStream(sse, handle, ev.message, toApiError(ev).code);
        case 'end':
          sse.data(run.format.closing(id, ev));
          if (run.includeUsage) sse.data(run.format.usage(id, ev));
          sse.done();
          finished(ev);
          return;
      }
    }
  }

  private failStream(sse: SseStream, handle: JobHandle, message: string, code = ApiErrorCode.WorkerFailed): void {
    handle.cancel();
    sse.fail({ message, type: API_ERROR_TABLE[code].type, code, param: null });
  }

  /** The next event that matters before the response starts: skips retries' noise, returns start/end/final error. */
  private async nextUseful(handle: JobHandle, deadline: number): Promise<StreamEvent> {
    for (;;) {
      const ev = await handle.next(deadline);
      if (ev.type === 'error' && ev.retrying) continue;
      if (ev.type === 'delta') continue;
      return ev;
    }
  }
}
