import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import {
  BatchEndpoint,
  ChatCompletionRequestSchema,
  CompletionRequestSchema,
  EmbeddingsRequestSchema,
  GenerationResult,
  ItemInput,
  JobResult,
  Principal,
  ResponsesRequestSchema,
  StreamEvent,
  Usage,
  UsageRecordV1Payload,
  embeddingInputs,
  responsesSampling,
} from '@llmp/contracts';
import { JobClient, JobFailedError, SubmittableJob, SubmittedJob } from '@llmp/job-client';
import { ApiError, ApiErrorCode, LocalModelDefinition, ModelCapability, toOpenAiError } from '@llmp/platform';
import { chatToolRequest, toChatMessages } from '../chat-completions/chat-tools';
import { chatFormat } from '../chat-completions/chat-completion.format';
import { completionFormat } from '../completions/completion.format';
import { gatewayConfig } from '../config/gateway.config';
import { buildStatefulPrompt, checkToolAnswers } from '../conversations/conversation-prompt';
import { resolveDimensions, toResponse } from '../embeddings/embeddings.service';
import { publicContext } from '../generation/completion-runner.service';
import { toSampling } from '../generation/openai-mappers';
import { parseBody } from '../http/zod-body';
import { Spend } from '../metering/spend.service';
import { UsageRecorder } from '../metering/usage-recorder.service';
import { ModelCatalog } from '../models/model-catalog.service';
import { ResponsesFormat } from '../responses/responses-format';
import { responsesToolPlan } from '../responses/responses-tools';
import { InputFiles } from '../retrieval/input-files.service';
import { Router } from '../routing/router.service';
import { toolJobFields } from '../tools/tool-request';
import { BATCH_JOB_CLIENT } from './batch.constants';

/** What one line produced: the HTTP status and body the interactive endpoint would have answered. */
export interface LineOutcome {
  statusCode: number;
  body: unknown;
  usage: Usage;
}

/** A line's job as the runner tracks it (to stop it on cancel, or after a crash). */
export interface TrackedJob {
  jobId: string;
  queueName: string;
  cancel(): void;
}

export interface LineJobHooks {
  /** Called with the line's job once it is enqueued, and once it has ended. */
  submitted(job: TrackedJob): Promise<void>;
  settled(job: TrackedJob): Promise<void>;
}

type StartEvent = Extract<StreamEvent, { type: 'start' }>;

/** Worker error codes as the interactive endpoints map them (CompletionRunner, EmbeddingsService). */
const WORKER_CODES: Record<string, ApiErrorCode> = {
  context_length_exceeded: ApiErrorCode.ContextLengthExceeded,
  unsupported_characters: ApiErrorCode.UnsupportedCharacters,
  unsupported_capability: ApiErrorCode.UnsupportedCapability,
  invalid_request: ApiErrorCode.InvalidRequest,
  input_too_long: ApiErrorCode.ContextLengthExceeded,
  invalid_input: ApiErrorCode.InvalidRequest,
  timeout: ApiErrorCode.Timeout,
  cancelled: ApiErrorCode.RequestCancelled,
};

const USAGE_ENDPOINT: Record<BatchEndpoint, UsageRecordV1Payload['endpoint']> = {
  '/v1/chat/completions': 'chat.completions',
  '/v1/completions': 'completions',
  '/v1/embeddings': 'embeddings',
  '/v1/responses': 'responses',
};

const NO_USAGE: Usage = { promptTokens: 0, completionTokens: 0 };

/** A request field a batch line cannot have: it needs a live connection or stored state (as OpenAI's batches). */
function refuse(field: string, why = 'is not supported in a batch'): never {
  throw new ApiError(ApiErrorCode.UnsupportedParameter, `'${field}' ${why}.`, field);
}

/**
 * Runs one batch line as its interactive endpoint would: the same zod request schema (so the same 400s), the same
 * model permission checks (a key restricted to some models runs only those), the same mapping to the job and the
 * same response formatter, the same budget check and usage record. What differs is the way to the queue: the job
 * goes through the batch JobClient with a BullMQ priority (interactive jobs have none and are taken first), and it
 * takes no place of the interactive admission budget. Lines answer with what the endpoint answers for a
 * non-streamed request; extension fields that need state (`conversation_id`, `previous_response_id`,
 * `file_search`, server tools) or a connection (`stream`) are refused with a 400 line.
 */
@Injectable()
export class BatchLineExecutor {
  private readonly logger = new Logger(BatchLineExecutor.name);

  constructor(
    @Inject(BATCH_JOB_CLIENT) private readonly jobs: JobClient,
    private readonly catalog: ModelCatalog,
    private readonly router: Router,
    private readonly files: InputFiles,
    private readonly spend: Spend,
    private readonly usage: UsageRecorder,
    @Inject(gatewayConfig.KEY) private readonly cfg: ConfigType<typeof gatewayConfig>,
  ) {}

  async execute(
    p: Principal,
    endpoint: BatchEndpoint,
    body: unknown,
    requestId: string,
    jobId: string,
    hooks: LineJobHooks,
  ): Promise<LineOutcome> {
    try {
      if (p.expiresAt !== null && p.expiresAt * 1000 <= Date.now()) {
        throw new ApiError(ApiErrorCode.InvalidApiKey, 'The API key that created this batch has expired.');
      }
      await this.spend.check(p);
      const run = { p, requestId, jobId, hooks };
      switch (endpoint) {
        case '/v1/chat/completions':
          return await this.chat(run, body);
        case '/v1/completions':
          return await this.completion(run, body);
        case '/v1/embeddings':
          return await this.embeddings(run, body);
        case '/v1/responses':
          return await this.responses(run, body);
      }
    } catch (err) {
      const { status, body: errorBody } = toOpenAiError(err, this.logger);
      return { statusCode: status, body: errorBody, usage: NO_USAGE };
    }
  }

  /** Records a successful line's usage as the interactive request would (request id = the line's request id). */
  record(p: Principal, endpoint: BatchEndpoint, requestId: string, model: string, usage: Usage): void {
    this.usage.record(p, requestId, model, USAGE_ENDPOINT[endpoint], usage);
  }

  /** A local model the caller may use for `capability` (routes and remote models are not served in batches). */
  private localModel(id: string, p: Principal, capability: ModelCapability): LocalModelDefinition {
    this.router.check(id, p, capability);
    const model = this.catalog.definition(id);
    if (!model || model.kind !== 'llm') {
      throw new ApiError(
        ApiErrorCode.UnsupportedParameter,
        `The model '${id}' is a route or a remote model; batches run on the platform's own models only.`,
        'model',
      );
    }
    return this.catalog.require(id, p, capability) as LocalModelDefinition;
  }

  private async chat(run: LineRun, body: unknown): Promise<LineOutcome> {
    const raw = parseBody(ChatCompletionRequestSchema, body);
    if (raw.stream) refuse('stream');
    if (raw.conversation_id) refuse('conversation_id');
    if (raw.file_search) refuse('file_search');
    if (raw.dry_run) refuse('dry_run');
    if (raw.tool_execution === 'server') refuse('tool_execution');
    const model = this.localModel(raw.model, run.p, 'chat');
    const request = { ...raw, messages: await this.files.toChatMessages(run.p, raw.messages) };
    const sampling = toSampling(request);
    const tools = chatToolRequest(request);
    const messages = toChatMessages(request.messages);
    const { result } = await this.generate(run, 'chat.complete.v1', {
      requestId: run.requestId,
      model: model.id,
      stream: false,
      sampling,
      messages,
      dryRun: false,
      ...toolJobFields(tools),
    });
    const end = this.sanitized(result, sampling);
    const id = `chatcmpl-${run.jobId.replace(/[^A-Za-z0-9]/g, '')}`;
    const format = chatFormat(request.model, sampling.logprobs != null, tools.legacy);
    return { statusCode: 200, body: format.response(id, end, this.costExtra(model.id, end)), usage: end.usage };
  }

  private async completion(run: LineRun, body: unknown): Promise<LineOutcome> {
    const request = parseBody(CompletionRequestSchema, body);
    if (request.stream) refuse('stream');
    const model = this.localModel(request.model, run.p, 'completion');
    const sampling = toSampling(request);
    const prompt = Array.isArray(request.prompt) ? request.prompt[0]! : request.prompt;
    const { result } = await this.generate(run, 'text.complete.v1', {
      requestId: run.requestId,
      model: model.id,
      stream: false,
      sampling,
      prompt,
      echo: request.echo ?? false,
    });
    const end = this.sanitized(result, sampling);
    const id = `cmpl-${run.jobId.replace(/[^A-Za-z0-9]/g, '')}`;
    const format = completionFormat(model.id, sampling.logprobs != null);
    return { statusCode: 200, body: format.response(id, end, {}), usage: end.usage };
  }

  private async embeddings(run: LineRun, body: unknown): Promise<LineOutcome> {
    const request = parseBody(EmbeddingsRequestSchema, body);
    const model = this.catalog.requireEmbedding(request.model, run.p);
    const dimensions = resolveDimensions(model, request.dimensions ?? null);
    const single = typeof request.input === 'string' || typeof request.input[0] === 'number';
    const job = await this.jobs.submit(
      'embed.texts.v1',
      {
        requestId: run.requestId,
        model: model.id,
        inputs: embeddingInputs(request.input),
        ...(dimensions === model.dimensions ? {} : { dimensions }),
      },
      this.options(run),
    );
    const result = await this.wait(run, job, single);
    const usage = { promptTokens: result.promptTokens, completionTokens: 0 };
    const response = toResponse(
      model.id,
      { ...result, vectors: result.vectors ?? '' },
      request.encoding_format ?? 'float',
    );
    return { statusCode: 200, body: response, usage };
  }

  private async responses(run: LineRun, body: unknown): Promise<LineOutcome> {
    const request = parseBody(ResponsesRequestSchema, body);
    if (request.stream) refuse('stream');
    if (request.conversation) refuse('conversation');
    if (request.previous_response_id) refuse('previous_response_id');
    if (request.tools?.some((t) => t.type === 'file_search'))
      refuse('tools', "with a 'file_search' tool is not supported in a batch");
    const model = this.localModel(request.model, run.p, 'chat');
    const tools = responsesToolPlan(request);
    const input: ItemInput[] =
      typeof request.input === 'string'
        ? [{ type: 'message', role: 'user', content: request.input }]
        : await this.files.toItems(run.p, request.input);
    const messages = buildStatefulPrompt({ systemPrompt: null, instructions: request.instructions, turns: [], input });
    checkToolAnswers(messages, 'input');
    const sampling = responsesSampling(request);
    const { result, start } = await this.generate(run, 'chat.complete.v1', {
      requestId: run.requestId,
      model: model.id,
      stream: false,
      sampling,
      messages,
      dryRun: false,
      ...toolJobFields(tools),
    });
    const end = this.sanitized(result, sampling);
    const format = new ResponsesFormat({
      model: request.model,
      request,
      conversationId: null,
      createdAt: Math.floor(Date.now() / 1000),
      logprobs: sampling.logprobs != null,
    });
    const id = `resp_${run.jobId.replace(/[^A-Za-z0-9]/g, '')}`;
    const extra = { context: start ? publicContext(start) : null, ...this.costExtra(model.id, end) };
    return { statusCode: 200, body: format.response(id, end, extra), usage: end.usage };
  }

  private options(run: LineRun) {
    return { priority: this.cfg.batch.priority, jobId: run.jobId, attempts: this.cfg.jobAttempts };
  }

  /** Submits a generation and waits for its result (and its last `start`, which reports the fitted prompt). */
  private async generate(
    run: LineRun,
    name: 'chat.complete.v1' | 'text.complete.v1',
    payload: Parameters<JobClient['submit']>[1],
  ): Promise<{ result: GenerationResult; start: StartEvent | null }> {
    const job = (await this.jobs.submit(name, payload as never, this.options(run))) as SubmittedJob<
      'chat.complete.v1' | 'text.complete.v1'
    >;
    const result = (await this.wait(run, job, false)) as GenerationResult;
    let start: StartEvent | null = null;
    for await (const ev of job.events()) if (ev.type === 'start') start = ev;
    return { result, start };
  }

  private async wait<N extends SubmittableJob>(
    run: LineRun,
    job: SubmittedJob<N>,
    singleInput: boolean,
  ): Promise<JobResult<N>> {
    await run.hooks.submitted(job);
    try {
      return await job.result({ timeoutMs: this.cfg.batch.lineTimeoutMs });
    } catch (err) {
      if (!(err instanceof JobFailedError)) throw err;
      const param = singleInput && err.param === 'input[0]' ? 'input' : err.param;
      const message = singleInput ? err.message.replace('input[0]', 'the input') : err.message;
      throw new ApiError(WORKER_CODES[err.code] ?? ApiErrorCode.WorkerFailed, message, param);
    } finally {
      await run.hooks.settled(job);
    }
  }

  /** PII_REDACT_OUTPUT applies to batch answers as to interactive ones (not with logprobs: real tokens). */
  private sanitized(result: GenerationResult, sampling: { logprobs?: unknown }): GenerationResult {
    if (!this.cfg.piiRedactOutput || sampling.logprobs != null) return result;
    return { ...result, text: this.router.pii.redact(result.text).text };
  }

  private costExtra(model: string, result: GenerationResult): Record<string, unknown> {
    const cost = this.spend.costOf(model, result.usage);
    return cost === null ? {} : { cost };
  }
}

interface LineRun {
  p: Principal;
  requestId: string;
  jobId: string;
  hooks: LineJobHooks;
}
