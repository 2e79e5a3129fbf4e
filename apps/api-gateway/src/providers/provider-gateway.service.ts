import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { randomUUID } from 'node:crypto';
import type { ChatCompleteV1Payload, ChatMessage, JobPayload, JobsOf, Principal, StreamEvent } from '@llmp/contracts';
import { ApiError, ApiErrorCode, PiiCounts, RemoteModelDefinition, addCounts } from '@llmp/platform';
import { gatewayConfig } from '../config/gateway.config';
import { InferenceClient } from '../jobs/inference-client.service';
import { JobHandle } from '../jobs/job-handle';
import type { RoutePlan } from '../routing/router.service';
import { Router } from '../routing/router.service';
import { CircuitBreaker } from './circuit-breaker';
import { AnthropicAdapter } from './anthropic-upstream';
import { OpenAiCompatibleAdapter } from './openai-upstream';
import type { UpstreamAdapter, UpstreamEvent, UpstreamStream } from './upstream-adapter';

type Endpoint = RemoteModelDefinition['endpoints'][number];

/** What served a request, for the response's `x-llmp-route` header and a dry run's `route` field. */
export interface RouteOutcome {
  served: string;
  /** Targets tried before it, with why they did not serve. */
  failed: { model: string; reason: string }[];
  redacted: PiiCounts;
}

class UpstreamFailure extends Error {}

/**
 * Submits a generation to the targets of its route in order: a local model is a queued job for its workers (the
 * queue's own retries take over from there); a remote one (OpenAI-compatible, or Anthropic's Messages API through
 * an adapter) is called from here, streamed through into a job handle the endpoints read like a worker's. A remote target that fails before its first token (connection error,
 * timeout, 429/5xx after the SDK's retries with back-off and Retry-After, an open circuit) hands the request to
 * the next endpoint of the model (least in-flight first), then to the next target; once a token has arrived, a
 * failure ends the stream with an error event. Prompts are redacted (PII_REDACT) before they leave.
 */
@Injectable()
export class ProviderGateway {
  private readonly logger = new Logger(ProviderGateway.name);
  private readonly breakers = new Map<string, CircuitBreaker>();
  private readonly inFlight = new Map<string, number>();
  private readonly adapters: Record<RemoteModelDefinition['provider'], UpstreamAdapter> = {
    'openai-compatible': new OpenAiCompatibleAdapter(),
    anthropic: new AnthropicAdapter(),
  };

  constructor(
    private readonly local: InferenceClient,
    private readonly router: Router,
    @Inject(gatewayConfig.KEY) private readonly cfg: ConfigType<typeof gatewayConfig>,
  ) {}

  async submit<N extends JobsOf<'inference'>>(
    principal: Principal,
    plan: RoutePlan,
    job: N,
    payload: Omit<JobPayload<N>, 'replyTo'>,
    outcome: RouteOutcome,
    gone: AbortSignal = new AbortController().signal,
  ): Promise<JobHandle> {
    for (const target of plan.targets) {
      if (target.kind === 'llm') {
        outcome.served = target.id;
        return this.local.submit(principal, target.id, job, { ...payload, model: target.id });
      }
      if (plan.sensitivity === 'confidential') {
        // Unreachable through the router; kept so that no code path can send a confidential prompt out.
        throw new ApiError(ApiErrorCode.Internal, 'A confidential request reached a remote target');
      }
      if (job !== 'chat.complete.v1') {
        outcome.failed.push({ model: target.id, reason: `${job} jobs are served by local models only` });
        continue;
      }
      for (const endpoint of this.byLoad(target)) {
        const key = `${target.id} ${endpoint.base_url}`;
        const breaker = this.breaker(key);
        if (!breaker.allow()) {
          outcome.failed.push({ model: target.id, reason: `circuit open for ${endpoint.base_url}` });
          continue;
        }
        try {
          const handle = await this.openRemote(target, endpoint, payload as ChatCompleteV1Payload, outcome, gone);
          breaker.success();
          outcome.served = target.id;
          return handle;
        } catch (err) {
          if (err instanceof ApiError) throw err; // the upstream refused the request itself: no other would take it
          // The client went away while waiting: neither the upstream's fault nor a reason to try another.
          if (gone.aborted) throw new ApiError(ApiErrorCode.RequestCancelled, 'The client closed the request');
          breaker.failure();
          outcome.failed.push({ model: target.id, reason: (err as Error).message });
          this.logger.warn({
            msg: 'upstream failed before the first token',
            model: target.id,
            reason: (err as Error).message,
          });
        }
      }
    }
    throw new ApiError(
      ApiErrorCode.ServiceUnavailable,
      `No target of '${plan.requested}' could serve the request: ${outcome.failed.map((f) => `${f.model}: ${f.reason}`).join('; ')}.`,
      null,
      { headers: { 'retry-after': '5' } },
    );
  }

  /** The model's endpoints, least in-flight requests first. */
  private byLoad(m: RemoteModelDefinition): Endpoint[] {
    const load = (e: Endpoint) => this.inFlight.get(`${m.id} ${e.base_url}`) ?? 0;
    return [...m.endpoints].sort((a, b) => load(a) - load(b));
  }

  private breaker(key: string): CircuitBreaker {
    let b = this.breakers.get(key);
    if (!b) this.breakers.set(key, (b = new CircuitBreaker(this.cfg.circuitFailures, this.cfg.circuitCooldownMs)));
    return b;
  }

  /**
   * Calls the upstream and waits for its first chunk (or its end) before handing back the job handle, so that a
   * failure until then can go to the next target; later chunks are pumped into the handle as they come.
   */
  private async openRemote(
    m: RemoteModelDefinition,
    endpoint: Endpoint,
    payload: ChatCompleteV1Payload,
    outcome: RouteOutcome,
    gone: AbortSignal,
  ): Promise<JobHandle> {
    const jobId = randomUUID();
    const key = `${m.id} ${endpoint.base_url}`;
    const redacted = this.redact(payload.messages);
    addCounts(outcome.redacted, redacted.counts);
    if (Object.keys(redacted.counts).length) {
      this.logger.log({ msg: 'pii redacted before a remote model', model: m.id, counts: redacted.counts });
    }
    const abort = new AbortController();
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.inFlight.set(key, (this.inFlight.get(key) ?? 1) - 1);
    };
    const handle = new JobHandle(jobId, `remote:${m.id}`, () => abort.abort(), release);
    const start: StreamEvent = { type: 'start', jobId, attempt: 0, promptTokens: 0 };
    const adapter = this.adapters[m.provider];
    const clean = { ...payload, messages: redacted.messages };
    if (payload.dryRun) {
      // What the upstream would get: its messages, after redaction (the remote template is not ours to render).
      handle.push({ ...start, prompt: JSON.stringify(adapter.request(m, clean).messages, null, 2) });
      release();
      return handle;
    }
    this.inFlight.set(key, (this.inFlight.get(key) ?? 0) + 1);
    const cancel = () => abort.abort(new UpstreamFailure('cancelled'));
    gone.addEventListener('abort', cancel, { once: true });
    const timer = setTimeout(
      () => abort.abort(new UpstreamFailure('no first token in time')),
      m.first_token_timeout_ms,
    );
    const apiKey = endpoint.api_key_env ? this.cfg.providerKeys[endpoint.api_key_env] : undefined;
    let stream: UpstreamStream;
    let first: IteratorResult<UpstreamEvent[]>;
    try {
      stream = await adapter.open(m, endpoint, apiKey, clean, abort.signal);
      first = await stream.chunks.next();
    } catch (err) {
      clearTimeout(timer);
      gone.removeEventListener('abort', cancel);
      release();
      throw this.upstreamError(err, endpoint, abort.signal);
    }
    clearTimeout(timer);
    // From here the handle's cancel (the job path's own disconnect hook) stops the upstream.
    gone.removeEventListener('abort', cancel);
    handle.push(start);
    const push = (events: UpstreamEvent[]) => {
      for (const ev of events) handle.push({ ...ev, jobId });
    };
    if (!first.done) push(first.value);
    void (async () => {
      try {
        if (!first.done) {
          for (let next = await stream.chunks.next(); !next.done; next = await stream.chunks.next()) push(next.value);
        }
        handle.push({ type: 'end', jobId, ...stream.result() });
      } catch (err) {
        const message = abort.signal.aborted ? 'cancelled' : this.scrub(String((err as Error).message), endpoint);
        if (!abort.signal.aborted)
          this.logger.warn({ msg: 'upstream failed mid-stream', model: m.id, reason: message });
        handle.push({
          type: 'error',
          jobId,
          code: 'upstream_failed',
          message: `The upstream failed mid-stream: ${message}`,
          retrying: false,
        });
      } finally {
        release();
      }
    })();
    return handle;
  }

  /** The prompt as it may leave the platform: with PII_REDACT=remote, every finding replaced by its type. */
  private redact(messages: ChatMessage[]): { messages: ChatMessage[]; counts: PiiCounts } {
    const counts: PiiCounts = {};
    if (this.cfg.piiRedact === 'off') return { messages, counts };
    const clean = (text: string) => {
      const r = this.router.pii.redact(text);
      addCounts(counts, r.counts);
      return r.text;
    };
    return {
      messages: messages.map((msg) => ({
        ...msg,
        content: clean(msg.content),
        ...(msg.toolCalls ? { toolCalls: msg.toolCalls.map((c) => ({ ...c, arguments: clean(c.arguments) })) } : {}),
      })),
      counts,
    };
  }

  /**
   * An upstream's failure before the first token: a 4xx other than 408/409/429 is the request's own fault and
   * goes back to the client (a 400 with the upstream's message, keys scrubbed; 401/403 mean our key is wrong,
   * which the client must not learn details of); anything else lets the next target try.
   */
  private upstreamError(err: unknown, endpoint: Endpoint, signal: AbortSignal): Error {
    if (signal.aborted) {
      const reason: unknown = signal.reason;
      return reason instanceof UpstreamFailure ? reason : new UpstreamFailure('cancelled');
    }
    if ((err instanceof OpenAI.APIError || err instanceof Anthropic.APIError) && err.status !== undefined) {
      const status = err.status;
      if (status === 401 || status === 403) return new UpstreamFailure(`upstream refused our credentials (${status})`);
      if (status >= 400 && status < 500 && ![408, 409, 429].includes(status)) {
        return new ApiError(
          ApiErrorCode.InvalidRequest,
          `The upstream model refused the request (${status}): ${this.scrub(err.message, endpoint)}`,
          null,
        );
      }
      return new UpstreamFailure(`upstream answered ${status}`);
    }
    return new UpstreamFailure(`upstream unreachable: ${this.scrub((err as Error).message, endpoint)}`);
  }

  /** An upstream's text without our key in it (some providers echo part of a bad key). */
  private scrub(text: string, endpoint: Endpoint): string {
    const key = endpoint.api_key_env ? this.cfg.providerKeys[endpoint.api_key_env] : undefined;
    let out = key ? text.split(key).join('[key]') : text;
    out = out.replace(/\b(sk|pk|key)-[A-Za-z0-9_*-]{6,}/g, '[key]');
    return out.slice(0, 500);
  }
}
