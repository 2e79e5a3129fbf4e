import { Inject, Injectable, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import {
  GenerationResult,
  InferenceErrorCode,
  JobPayload,
  JobsOf,
  Principal,
  StreamEvent,
  TokenLogprob,
  UsageRecordV1Payload,
} from '@llmp/contracts';
import { API_ERROR_TABLE, ApiError, ApiErrorCode, StreamRedactor } from '@llmp/platform';
import { AdmissionControl } from '../jobs/admission.service';
import { InferenceClient } from '../jobs/inference-client.service';
import type { JobHandle } from '../jobs/job-handle';
import { MeteredJobs } from '../jobs/metered-jobs.service';
import { CONTINUATION_FAILED, JOB_CANCELLED } from '../jobs/job-handle';
import { JOB_LOST } from '../jobs/reply-hub.service';
import { GatewayMetrics } from '../jobs/gateway.metrics';
import { SseStream } from '../http/sse-stream';
import { isSourceRef } from './grounding';
import { randomUUID } from 'node:crypto';
import { ResponseCache } from '../cache/response-cache.service';
import { Spend } from '../metering/spend.service';
import { Router } from '../routing/router.service';
import { gatewayConfig } from '../config/gateway.config';
import type { ConfigType } from '@nestjs/config';
import { ProviderGateway, RouteOutcome } from '../providers/provider-gateway.service';
import type { RoutePlan } from '../routing/router.service';

/**
 * How one endpoint renders a generation: the whole response, or the stream's opening events, deltas and closing
 * events. `extra` holds fields added by a stateful request (`context`, …). A format object serves one request.
 */
export interface CompletionFormat {
  response(id: string, result: GenerationResult, extra: Record<string, unknown>): unknown;
  /** `start`: the accepted prompt's start event (its token count), when the stream follows one. */
  opening(id: string, start?: StartEvent): unknown[];
  /**
   * `logprobs`: when the request asked for them, the entries of exactly this text's tokens (a delta may carry
   * `text: ''` with the entry of a token that only starts a character; it is rendered like any other).
   */
  delta(id: string, text: string, logprobs?: TokenLogprob[]): unknown[];
  /** A fragment of a function call (endpoints without tools leave it out). */
  toolCall?(id: string, call: ToolCallFragment): unknown[];
  closing(id: string, result: GenerationResult, extra: Record<string, unknown>): unknown[];
  usage(id: string, result: GenerationResult): unknown;
  /** Whether the stream ends with `data: [DONE]` (every endpoint here; Open Responses requires it too). */
  doneMarker: boolean;
  /** Whether each SSE event carries an `event:` line with its payload's `type` (Responses). */
  namedEvents?: boolean;
  /** Events that end a failed stream; absent: a single `{error}` data event (Chat Completions' way). */
  failure?(id: string, error: StreamFailure): unknown[];
  /** A dry run's answer in the endpoint's own shape (a token count); absent: the platform's dry-run object. */
  dryRun?(start: StartEvent): unknown;
}

export type ToolCallFragment = Omit<Extract<StreamEvent, { type: 'tool_call' }>, 'type' | 'jobId'>;

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
  /** Fields a dry run's answer gets beside the prompt and its context (the retrieved `sources`, …). */
  dryRunFields?: (start: StartEvent) => Record<string, unknown>;
  /** The routing decision: the job goes to its targets in order (local or remote); absent: to `model`'s queue. */
  route?: RoutePlan;
  /**
   * The response cache entry of a request the endpoint found cacheable (deterministic, stateless, not
   * confidential): a hit is answered from it (`x-cache: hit`, `cached: true`), a miss stores its result.
   */
  cacheKey?: string;
}

/** The `route` extension of a dry run, and the `x-llmp-route` header of every routed response. */
export function publicRoute(plan: RoutePlan, outcome: RouteOutcome) {
  return {
    requested: plan.requested,
    route: plan.route,
    served_by: outcome.served,
    sensitivity: plan.sensitivity,
    sensitivity_source: plan.sensitivitySource,
    pii_found: plan.pii,
    pii_redacted: outcome.redacted,
    skipped: plan.skipped,
    failed: outcome.failed,
  };
}

function routeHeader(plan: RoutePlan, outcome: RouteOutcome): string {
  const parts = [`model=${outcome.served}`, `sensitivity=${plan.sensitivity}`];
  if (plan.route) parts.unshift(`route=${plan.route}`);
  if (outcome.failed.length) parts.push(`fallback=${outcome.failed.map((f) => f.model).join(',')}`);
  return parts.join('; ');
}

/** Writes one event of a run's stream, named by its `type` when the endpoint names its events. */
function send(sse: SseStream, run: { format: CompletionFormat }, event: unknown): void {
  const type = (event as { type?: unknown } | null)?.type;
  sse.data(event, run.format.namedEvents && typeof type === 'string' ? type : undefined);
}

/** How often a queued stream is told its place. */
const QUEUE_NOTICE_MS = 1000;

export type StartEvent = Extract<StreamEvent, { type: 'start' }>;
type EndEvent = Extract<StreamEvent, { type: 'end' }>;

function wantsLogprobs(run: { payload: unknown }): boolean {
  const sampling = (run.payload as { sampling?: { logprobs?: unknown } }).sampling;
  return sampling?.logprobs != null;
}

/** The `context` extension: what a stateful prompt was built from, in the public API's snake_case. */
export function publicContext(start: StartEvent) {
  const c = start.context;
  if (!c) return null;
  return {
    tokens: c.tokens,
    summary_id: c.summaryId,
    memories: c.memories,
    verbatim_item_ids: c.verbatimIds,
    // Retrieved sources dropped to fit are not items (a grounded request reports the sources it kept).
    dropped_item_ids: c.droppedIds.filter((ref) => !isSourceRef(ref)),
  };
}

const WORKER_CODES: Record<string, ApiErrorCode> = {
  [InferenceErrorCode.ContextLengthExceeded]: ApiErrorCode.ContextLengthExceeded,
  [InferenceErrorCode.UnsupportedCharacters]: ApiErrorCode.UnsupportedCharacters,
  [InferenceErrorCode.UnsupportedCapability]: ApiErrorCode.UnsupportedCapability,
  // A generation parameter the model cannot honour (a logit_bias token id outside its vocabulary).
  [InferenceErrorCode.InvalidRequest]: ApiErrorCode.InvalidRequest,
  timeout: ApiErrorCode.Timeout,
  [JOB_LOST]: ApiErrorCode.ServiceUnavailable,
  // The client went away: nobody reads the answer, but logs and metrics should not count it as a worker failure.
  [JOB_CANCELLED]: ApiErrorCode.RequestCancelled,
};

function toApiError(ev: Extract<StreamEvent, { type: 'error' }>): ApiError {
  return new ApiError(WORKER_CODES[ev.code] ?? ApiErrorCode.WorkerFailed, ev.message, ev.param ?? null, {
    headers: ev.code === JOB_LOST ? { 'retry-after': '2' } : undefined,
  });
}

/**
 * Runs a completion job for an OpenAI endpoint: submit, wait for the worker to accept the prompt, then answer
 * as JSON or as SSE. Prompt errors arrive before any byte is sent, so they are real HTTP 4xx even when
 * streaming. A client disconnect cancels the job in the worker (MeteredJobs).
 */
@Injectable()
export class CompletionRunner {
  private readonly logger = new Logger(CompletionRunner.name);

  constructor(
    private readonly client: InferenceClient,
    private readonly jobs: MeteredJobs,
    private readonly metrics: GatewayMetrics,
    private readonly admission: AdmissionControl,
    private readonly providers: ProviderGateway,
    private readonly cache: ResponseCache,
    private readonly spend: Spend,
    private readonly router: Router,
    @Inject(gatewayConfig.KEY) private readonly cfg: ConfigType<typeof gatewayConfig>,
  ) {}

  /**
   * PII_REDACT_OUTPUT: personal data in answers replaced by its type, whole answers and streams alike (a stream
   * holds back a short window so a finding split across deltas is caught). Not with logprobs, whose entries are
   * the model's real tokens: those requests are answered as generated.
   */
  private outputRedactor<N extends JobsOf<'inference'>>(run: CompletionRun<N>): StreamRedactor | null {
    if (!this.cfg.piiRedactOutput || wantsLogprobs(run)) return null;
    return new StreamRedactor(this.router.pii);
  }

  private sanitized<N extends JobsOf<'inference'>>(run: CompletionRun<N>, result: EndEvent): EndEvent {
    if (!this.cfg.piiRedactOutput || wantsLogprobs(run)) return result;
    const { text, counts } = this.router.pii.redact(result.text);
    if (Object.keys(counts).length) this.logger.log({ msg: 'pii redacted in an answer', model: run.model, counts });
    return { ...result, text };
  }

  /** The `cost` extension of a priced model's answer (in the price table's currency). */
  private costExtra(model: string, result: GenerationResult): Record<string, unknown> {
    const cost = this.spend.costOf(model, result.usage);
    return cost === null ? {} : { cost };
  }

  /** A cached generation, answered as a fresh one would be (whole or streamed), marked `cached: true`. */
  private async replay<N extends JobsOf<'inference'>>(
    reply: FastifyReply,
    run: CompletionRun<N>,
    result: GenerationResult,
  ): Promise<void> {
    const id = `${run.idPrefix}${randomUUID().replace(/-/g, '')}`;
    const extra = { cached: true };
    if (!run.stream) {
      await reply.send(run.format.response(id, result, extra));
      return;
    }
    const sse = new SseStream(reply);
    const events = [
      ...run.format.opening(id),
      ...(result.text ? run.format.delta(id, result.text, result.logprobs) : []),
      ...(result.toolCalls ?? []).flatMap(
        (c, index) => run.format.toolCall?.(id, { index, id: c.id, name: c.name, arguments: c.arguments }) ?? [],
      ),
      ...run.format.closing(id, result, extra),
    ];
    for (const event of events) send(sse, run, event);
    if (run.includeUsage) sse.data(run.format.usage(id, result));
    sse.done(run.format.doneMarker);
  }

  async run<N extends JobsOf<'inference'>>(reply: FastifyReply, run: CompletionRun<N>): Promise<void> {
    const started = performance.now();
    // The endpoint passes a key only for requests that leave no state behind (see ResponseCache).
    const cacheKey = run.dryRun ? undefined : run.cacheKey;
    if (cacheKey) {
      const hit = await this.cache.get(cacheKey);
      void reply.header('x-cache', hit ? 'hit' : 'miss');
      if (hit) return this.replay(reply, run, hit);
    }
    const outcome: RouteOutcome = { served: run.model, failed: [], redacted: {} };
    await this.jobs.run(reply, this.spec(run, outcome), async ({ handle, deadline, record }) => {
      const id = `${run.idPrefix}${handle.jobId.replace(/-/g, '')}`;
      if (run.route) void reply.header('x-llmp-route', routeHeader(run.route, outcome));
      const finished = (result: GenerationResult) => {
        this.metrics.observeCompletion(run.model, started, result.usage.completionTokens);
        record(result.usage);
        if (cacheKey) void this.cache.put(cacheKey, result);
      };
      // A stream that has to wait in the queue starts at once and shows its place in SSE comment lines (which
      // every SSE client ignores); a prompt error found when its turn comes then ends the stream as an error event.
      const queued = run.stream && !run.dryRun && handle.queuedAhead >= 0 ? new SseStream(reply) : null;
      let ev = queued ? await this.waitQueued(queued, handle, deadline) : await this.nextUseful(handle, deadline);
      if (ev.type === 'error' && queued)
        return this.failStream(queued, run, handle, id, ev.message, toApiError(ev).code);
      if (ev.type === 'error') throw toApiError(ev);
      if (ev.type !== 'start') throw new ApiError(ApiErrorCode.WorkerFailed, 'The worker answered out of order');
      let start: StartEvent = ev;
      if (run.dryRun && run.format.dryRun) {
        await reply.send(run.format.dryRun(start));
        return;
      }
      if (run.dryRun) {
        await reply.send({
          object: 'chat.completion.dry_run',
          model: run.model,
          prompt: start.prompt ?? '',
          // The prompt's messages section by section (chat jobs), each with its tokens.
          ...(start.parts ? { sections: start.parts } : {}),
          usage: { prompt_tokens: start.promptTokens },
          context: publicContext(start),
          ...(run.route ? { route: publicRoute(run.route, outcome) } : {}),
          ...run.dryRunFields?.(start),
        });
        return;
      }
      if (!run.stream) {
        while (ev.type !== 'end') {
          ev = await this.nextUseful(handle, deadline);
          if (ev.type === 'error') throw toApiError(ev);
          if (ev.type === 'start') start = ev;
        }
        const end = this.sanitized(run, ev);
        finished(end);
        const extra = { ...(await run.complete?.(end, start)), ...this.costExtra(outcome.served, end) };
        await reply.send(run.format.response(id, end, extra));
        return;
      }
      await this.stream(queued ?? new SseStream(reply), run, handle, id, deadline, started, finished, start, (r) =>
        this.costExtra(outcome.served, r),
      );
    });
  }

  /**
   * Runs a job to its end without answering the client (a step of a server-side tool loop): metered and cancelled
   * with the request like any other job; worker errors are thrown as API errors. `onText` receives the text as it
   * is generated (a streamed loop forwards it); once some has been given, a worker's retry is a failure, since
   * the text of the failed attempt is already out.
   */
  async collect<N extends JobsOf<'inference'>>(
    reply: FastifyReply,
    run: Pick<CompletionRun<N>, 'principal' | 'endpoint' | 'reserveTokens' | 'model' | 'job' | 'payload' | 'route'>,
    onText?: (text: string) => void,
  ): Promise<{ result: GenerationResult; start: StartEvent }> {
    const started = performance.now();
    const outcome: RouteOutcome = { served: run.model, failed: [], redacted: {} };
    return this.jobs.run(reply, this.spec(run, outcome), async ({ handle, deadline, record }) => {
      if (run.route) void reply.header('x-llmp-route', routeHeader(run.route, outcome));
      let start: StartEvent | null = null;
      let sent = false;
      for (;;) {
        const ev = await handle.next(deadline);
        switch (ev.type) {
          case 'error':
            if (ev.retrying && !sent) continue;
            throw toApiError(ev);
          case 'delta':
            if (onText && ev.text) {
              if (!sent) this.metrics.observeFirstToken(run.model, started);
              sent = true;
              onText(ev.text);
            }
            continue;
          case 'start':
            if (sent) throw new ApiError(ApiErrorCode.WorkerFailed, CONTINUATION_FAILED);
            start = ev;
            continue;
          case 'end':
            if (!start) throw new ApiError(ApiErrorCode.WorkerFailed, 'The worker answered out of order');
            this.metrics.observeCompletion(run.model, started, ev.usage.completionTokens);
            record(ev.usage);
            return { result: ev, start };
          case 'tool_call': // calls arrive whole in the end event
          case 'embeddings': // only embedding jobs publish it
            continue;
        }
      }
    });
  }

  private spec<N extends JobsOf<'inference'>>(
    run: Pick<CompletionRun<N>, 'principal' | 'endpoint' | 'reserveTokens' | 'model' | 'job' | 'payload' | 'route'>,
    outcome: RouteOutcome,
  ) {
    const route = run.route;
    return {
      principal: run.principal,
      endpoint: run.endpoint,
      model: run.model,
      reserveTokens: run.reserveTokens,
      submit: (gone: AbortSignal) =>
        route
          ? this.providers.submit(run.principal, route, run.job, run.payload, outcome, gone)
          : this.client.submit(run.principal, run.model, run.job, run.payload),
      servedModel: () => outcome.served,
    };
  }

  private async stream<N extends JobsOf<'inference'>>(
    sse: SseStream,
    run: CompletionRun<N>,
    handle: JobHandle,
    id: string,
    deadline: number,
    started: number,
    finished: (result: GenerationResult) => void,
    firstStart: StartEvent,
    costOf: (result: GenerationResult) => Record<string, unknown>,
  ): Promise<void> {
    let start = firstStart;
    const redactor = this.outputRedactor(run);
    const fail = (message: string, code = ApiErrorCode.WorkerFailed): void =>
      this.failStream(sse, run, handle, id, message, code);
    for (const event of run.format.opening(id, start)) send(sse, run, event);
    let sentText = false;
    for (;;) {
      const ev = await handle.next(deadline);
      switch (ev.type) {
        case 'delta':
          if (!sentText) this.metrics.observeFirstToken(run.model, started);
          sentText = true;
          if (redactor) {
            const text = redactor.push(ev.text);
            if (text) for (const event of run.format.delta(id, text)) send(sse, run, event);
            break;
          }
          for (const event of run.format.delta(id, ev.text, ev.logprobs)) send(sse, run, event);
          break;
        case 'tool_call': {
          if (!sentText) this.metrics.observeFirstToken(run.model, started);
          sentText = true;
          const { type: _t, jobId: _j, ...fragment } = ev;
          for (const event of run.format.toolCall?.(id, fragment) ?? []) send(sse, run, event);
          break;
        }
        case 'start':
          // A new attempt after a worker died, before any output went out (JobHandle replays a retry that comes
          // after some did, and ends the stream when it cannot).
          if (sentText) return fail(CONTINUATION_FAILED);
          start = ev;
          break;
        case 'error':
          if (ev.retrying && !sentText) break;
          return fail(ev.message, toApiError(ev).code);
        case 'end': {
          const rest = redactor?.flush();
          if (rest) for (const event of run.format.delta(id, rest)) send(sse, run, event);
          const end = this.sanitized(run, ev);
          finished(end);
          let extra: Record<string, unknown> = {};
          try {
            extra = { ...(await run.complete?.(end, start)), ...costOf(end) };
          } catch (err) {
            const code = err instanceof ApiError ? err.code : ApiErrorCode.ServiceUnavailable;
            return fail(`The reply could not be stored: ${(err as Error).message}`, code);
          }
          for (const event of run.format.closing(id, end, extra)) send(sse, run, event);
          if (run.includeUsage) sse.data(run.format.usage(id, end));
          sse.done(run.format.doneMarker);
          return;
        }
        case 'embeddings': // only embedding jobs publish it
          return fail('The worker answered with an event of another job kind');
      }
    }
  }

  /** Ends a stream with the endpoint's failure events (or one `{error}` event) and stops the job. */
  private failStream<N extends JobsOf<'inference'>>(
    sse: SseStream,
    run: CompletionRun<N>,
    handle: JobHandle,
    id: string,
    message: string,
    code: ApiErrorCode = ApiErrorCode.WorkerFailed,
  ): void {
    handle.cancel();
    const error = { message, type: API_ERROR_TABLE[code].type, code, param: null };
    const events = run.format.failure?.(id, error);
    if (!events) return sse.fail(error);
    for (const event of events) send(sse, run, event);
    sse.done(run.format.doneMarker);
  }

  /**
   * Waits for a queued job's first useful event, writing `: queued position=N eta_ms=M` every second meanwhile
   * (position 1 = next; eta from the drain rate measured over the last minute, left out until there is one).
   */
  private async waitQueued(sse: SseStream, handle: JobHandle, deadline: number): Promise<StreamEvent> {
    sse.comment(`queued position=${handle.queuedAhead + 1}`);
    for (;;) {
      const ev = await handle.next(Math.min(deadline, Date.now() + QUEUE_NOTICE_MS));
      // The tick: a synthetic timeout before the real deadline while the job is still open.
      if (ev.type === 'error' && ev.code === 'timeout' && !handle.done && Date.now() < deadline) {
        const pos = await this.admission.position(handle.queueName, handle.jobId).catch(() => null);
        if (pos && pos.ahead >= 0) {
          sse.comment(`queued position=${pos.ahead + 1}${pos.etaMs === null ? '' : ` eta_ms=${pos.etaMs}`}`);
        }
        continue;
      }
      if (ev.type === 'error' && ev.retrying) continue;
      if (ev.type === 'delta' || ev.type === 'tool_call') continue;
      return ev;
    }
  }

  /** The next event that matters before the response starts: skips retries' noise, returns start/end/final error. */
  private async nextUseful(handle: JobHandle, deadline: number): Promise<StreamEvent> {
    for (;;) {
      const ev = await handle.next(deadline);
      if (ev.type === 'error' && ev.retrying) continue;
      if (ev.type === 'delta' || ev.type === 'tool_call') continue;
      return ev;
    }
  }
}
