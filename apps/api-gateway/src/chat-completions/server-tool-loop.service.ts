import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { FastifyReply } from 'fastify';
import type {
  ChatCompleteV1Payload,
  ChatCompletionRequest,
  ChatMessage,
  GenerationResult,
  ToolDefinition,
} from '@llmp/contracts';
import { randomUUID } from 'node:crypto';
import { API_ERROR_TABLE, ApiError, ApiErrorCode } from '@llmp/platform';
import { gatewayConfig } from '../config/gateway.config';
import { FunctionRegistry } from '../functions/function-registry.service';
import { CompletionRunner, StartEvent } from '../generation/completion-runner.service';
import { SseStream } from '../http/sse-stream';
import type { RoutePlan } from '../routing/router.service';
import { estimateTokens } from '../generation/token-estimate';
import type { ChatToolRequest } from './chat-tools';
import { chatFormat, toolStepChunk } from './chat-completion.format';

/** One call the server ran, as the `tool_trace` extension lists it. */
export interface ToolTraceEntry {
  step: number;
  id: string;
  name: string;
  arguments: string;
  output: string;
  error: boolean;
}

/**
 * The server functions a `tool_execution: 'server'` request offers: those it names in `tools` (their schemas are
 * the registry's: the server runs them), or every registered function when it names none.
 */
export function serverTools(registry: FunctionRegistry, r: ChatCompletionRequest): ToolDefinition[] {
  const named = (r.tools ?? []).flatMap((t, i) => (t.type === 'function' ? [{ name: t.function.name, i }] : []));
  const chosen = named.length ? named : registry.list().map((f) => ({ name: f.name, i: -1 }));
  return chosen.map(({ name, i }) => {
    const fn = registry.get(name);
    if (!fn) {
      throw new ApiError(
        ApiErrorCode.InvalidRequest,
        `'${name}' is not a server function (GET /v1/functions lists them); with tool_execution 'server' every tool must be one.`,
        `tools[${i}]`,
      );
    }
    return { name: fn.name, description: fn.description, parameters: fn.parameters };
  });
}

/** A `tool_execution: 'server'` request, ready to run. */
export interface ServerLoopRun {
  base: Omit<ChatCompleteV1Payload, 'messages' | 'tools' | 'toolChoice' | 'parallelToolCalls'>;
  principal: Parameters<CompletionRunner['collect']>[1]['principal'];
  defaultMaxTokens: number;
  messages: ChatMessage[];
  tools: ChatToolRequest;
  stream: boolean;
  includeUsage: boolean;
  /** Runs after the last step (a stateful request appends the exchange); its fields extend the answer. */
  complete?: (result: GenerationResult, start: StartEvent) => Promise<Record<string, unknown>>;
  /** Where each step goes (a route's targets), as for any generation. */
  route?: RoutePlan;
}

/**
 * `tool_execution: 'server'`: the gateway runs the functions the model calls and asks the model again with their
 * results, until it answers in text or the step limit is reached (the last step offers no tools, so it must
 * answer). `tool_choice` applies to the first step; later steps are `auto`. A function that fails gives the model
 * an error result. Each step is a metered job; the answer's usage is the sum of all steps, its content the text of
 * every step, and `tool_trace` lists every call with its output.
 *
 * Streamed, the text of every step arrives as ordinary `delta.content` chunks, and each step's executed calls as
 * one extension chunk, `{object: 'chat.completion.chunk', choices: [], tool_step: {step, calls}}` (a chunk without
 * choices, like the usage chunk, is one standard clients skip); the final chunk carries `finish_reason` and
 * `tool_trace`. The stream opens with the first text or step, so an error of the first step (a prompt too long)
 * is still a real HTTP error; a later failure ends the stream with an `{error}` event.
 */
@Injectable()
export class ServerToolLoop {
  constructor(
    private readonly runner: CompletionRunner,
    private readonly registry: FunctionRegistry,
    @Inject(gatewayConfig.KEY) private readonly cfg: ConfigType<typeof gatewayConfig>,
  ) {}

  async run(reply: FastifyReply, run: ServerLoopRun): Promise<void> {
    const { base, tools } = run;
    const abort = new AbortController();
    reply.raw.on('close', () => abort.abort());
    const format = chatFormat(base.model);
    const id = `chatcmpl-${randomUUID().replace(/-/g, '')}`;
    let sse: SseStream | null = null;
    const out = (): SseStream => {
      if (!sse) {
        sse = new SseStream(reply);
        for (const event of format.opening(id)) sse.data(event);
      }
      return sse;
    };
    const onText = run.stream ? (text: string) => format.delta(id, text).forEach((e) => out().data(e)) : undefined;
    const trace: ToolTraceEntry[] = [];
    const usage = { promptTokens: 0, completionTokens: 0 };
    const texts: string[] = [];
    const history = [...run.messages];
    try {
      let last: { result: GenerationResult; start: StartEvent } | null = null;
      for (let step = 0; step < this.cfg.toolMaxSteps; step++) {
        const final = step === this.cfg.toolMaxSteps - 1;
        const payload: ChatCompleteV1Payload = {
          ...base,
          messages: history,
          ...(final ? {} : { tools: tools.plan.tools }),
          toolChoice: step === 0 ? tools.plan.toolChoice : 'auto',
          parallelToolCalls: tools.plan.parallelToolCalls,
        };
        last = await this.runner.collect(
          reply,
          {
            principal: run.principal,
            endpoint: 'chat.completions',
            reserveTokens:
              estimateTokens(JSON.stringify(history) + JSON.stringify(payload.tools ?? [])) +
              (base.sampling.maxTokens ?? run.defaultMaxTokens),
            model: base.model,
            job: 'chat.complete.v1',
            payload,
            route: run.route,
          },
          onText,
        );
        const { result } = last;
        usage.promptTokens += result.usage.promptTokens;
        usage.completionTokens += result.usage.completionTokens;
        texts.push(result.text);
        const calls = result.toolCalls ?? [];
        if (!calls.length || final) break;
        history.push({ role: 'assistant', content: result.text, toolCalls: calls });
        const ran: ToolTraceEntry[] = [];
        for (const call of calls) {
          const outcome = await this.registry.execute(call.name, call.arguments, abort.signal);
          ran.push({ step, id: call.id, name: call.name, arguments: call.arguments, ...outcome });
          history.push({ role: 'tool', content: outcome.output, toolCallId: call.id });
        }
        trace.push(...ran);
        if (run.stream) out().data(toolStepChunk(id, base.model, step, ran));
      }
      const answer: GenerationResult = { ...last!.result, text: texts.join(''), usage };
      const extra = { ...(await run.complete?.(answer, last!.start)), tool_trace: trace };
      if (!run.stream) {
        await reply.send(format.response(id, answer, extra));
        return;
      }
      const stream = out();
      for (const event of format.closing(id, answer, extra)) stream.data(event);
      if (run.includeUsage) stream.data(format.usage(id, answer));
      stream.done();
    } catch (err) {
      // Before the stream opened, the error is the HTTP answer; after, it ends the stream.
      if (!sse) throw err;
      // Only API errors carry a message meant for the client.
      const e = err instanceof ApiError ? err : new ApiError(ApiErrorCode.WorkerFailed, 'The tool loop failed');
      (sse as SseStream).fail({ message: e.message, type: API_ERROR_TABLE[e.code].type, code: e.code, param: null });
    }
  }
}
