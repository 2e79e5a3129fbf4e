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
import { API_ERROR_TABLE, ApiError, ApiErrorCode } from '@llmp/platform';
import { InferenceClient } from '../jobs/inference-client.service';
import type { JobHandle } from '../jobs/job-handle';
import { MeteredJobs } from '../jobs/metered-jobs.service';
import { GatewayMetrics } from '../jobs/gateway.metrics';
import { SseStream } from '../http/sse-stream';

/**
 * How one endpoint renders a generation: the whole response, or the stream's opening events, deltas and closing
 * events. `extra` holds fields added by a stateful request (`context`, …). A format object serves one request.
 */
export interface CompletionFormat {
  response(id: string, result: GenerationResult, extra: Record<string, unknown>): unknown;
  opening(id: string): unknown[];
  delta(id: string, text: string): unknown;
  closing(id: string, result: GenerationResult, extra: Record<string, unknown>): unknown[];
  usage(id: string, result: GenerationResult): unknown;
  /** Whether the stream ends with `data: [DONE]` (Chat Completions, Completions) or not (Responses). */
  doneMarker: boolean;
  /** Events that end a failed stream; absent: a single `{error}` data event (Chat Completions' way). */
  failure?(id: string, error: StreamFailure): unknown[];
}

export interface StreamFailure {
  message: string;
  type: string;
  code: string;
  param: null;
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
  /** Response id prefix, separator included (`chatcmpl-`, `cmpl-`, `resp_`). */
  idPrefix: string;
  format: CompletionFormat;
  /** Answer with the rendered prompt and its sections instead of generating (nothing is written or charged). */
  dryRun?: boolean;
  /**
   * Runs after generation and before the response completes (a stateful request appends its items here); the
   * fields it returns extend the response (or, when streaming, the final chunk).
   */
  complete?: (result: GenerationResult, start: StartEvent) => Promise<Record<string, unknown>>;
}

type StartEvent = Extract<StreamEvent, { type: 'start' }>;

/** The `context` extension: what a stateful prompt was built from, in the public API's snake_case. */
export function publicContext(start: StartEvent) {
  const c = start.context;
  if (!c) return null;
  return {
    tokens: c.tokens,
    summary_id: c.summaryId,
    memories: c.memories,
    verbatim_item_ids: c.verbatimIds,
    dropped_item_ids: c.droppedIds,
  };
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
 * streaming. A client disconnect cancels the job in the worker (MeteredJobs).
 */
@Injectable()
export class CompletionRunner {
  constructor(
    private readonly client: InferenceClient,
    private readonly jobs: MeteredJobs,
    private readonly metrics: GatewayMetrics,
  ) {}

  async run<N extends JobsOf<'inference'>>(reply: FastifyReply, run: CompletionRun<N>): Promise<void> {
    const started = performance.now();
    const spec = {
      principal: run.principal,
      endpoint: run.endpoint,
      model: run.model,
      reserveTokens: run.reserveTokens,
      submit: () => this.client.submit(run.model, run.job, run.payload),
    };
    await this.jobs.run(reply, spec, async ({ handle, deadline, record }) => {
      const id = `${run.idPrefix}${handle.jobId.replace(/-/g, '')}`;
      const finished = (result: GenerationResult) => {
        this.metrics.observeCompletion(run.model, started, result.usage.completionTokens);
        record(result.usage);
      };
      let ev = await this.nextUseful(handle, deadline);
      if (ev.type === 'error') throw toApiError(ev);
      if (ev.type !== 'start') throw new ApiError(ApiErrorCode.WorkerFailed, 'The worker answered out of order');
      let start: StartEvent = ev;
      if (run.dryRun) {
        await reply.send({
          object: 'chat.completion.dry_run',
          model: run.model,
          prompt: start.prompt ?? '',
          usage: { prompt_tokens: start.promptTokens },
          context: publicContext(start),
        });
        return;
      }
      if (!run.stream) {
        while (ev.type !== 'end') {
          ev = await this.nextUseful(handle, deadline);
          if (ev.type === 'error') throw toApiError(ev);
          if (ev.type === 'start') start = ev;
        }
        finished(ev);
        const extra = (await run.complete?.(ev, start)) ?? {};
        await reply.send(run.format.response(id, ev, extra));
        return;
      }
      await this.stream(reply, run, handle, id, deadline, started, finished, start);
    });
  }

  private async stream<N extends JobsOf<'inference'>>(
    reply: FastifyReply,
    run: CompletionRun<N>,
    handle: JobHandle,
    id: string,
    deadline: number,
    started: number,
    finished: (result: GenerationResult) => void,
    firstStart: StartEvent,
  ): Promise<void> {
    let start = firstStart;
    const sse = new SseStream(reply);
    const fail = (message: string, code = ApiErrorCode.WorkerFailed): void => {
      handle.cancel();
      const error = { message, type: API_ERROR_TABLE[code].type, code, param: null };
      const events = run.format.failure?.(id, error);
      if (!events) return sse.fail(error);
      for (const event of events) sse.data(event);
      sse.done(run.format.doneMarker);
    };
    for (const event of run.format.opening(id)) sse.data(event);
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
          if (sentText) return fail('The worker serving this request failed mid-generation');
          start = ev;
          break;
        case 'error':
          if (ev.retrying && !sentText) break;
          return fail(ev.message, toApiError(ev).code);
        case 'end': {
          finished(ev);
          let extra: Record<string, unknown> = {};
          try {
            extra = (await run.complete?.(ev, start)) ?? {};
          } catch (err) {
            const code = err instanceof ApiError ? err.code : ApiErrorCode.ServiceUnavailable;
            return fail(`The reply could not be stored: ${(err as Error).message}`, code);
          }
          for (const event of run.format.closing(id, ev, extra)) sse.data(event);
          if (run.includeUsage) sse.data(run.format.usage(id, ev));
          sse.done(run.format.doneMarker);
          return;
        }
        case 'embeddings': // only embedding jobs publish it
          return fail('The worker answered with an event of another job kind');
      }
    }
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
