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
import { ApiError, ApiErrorCode } from '@llmp/platform';
import { gatewayConfig } from '../config/gateway.config';
import { FunctionRegistry } from '../functions/function-registry.service';
import { CompletionRunner } from '../generation/completion-runner.service';
import { estimateTokens } from '../generation/token-estimate';
import type { ChatToolRequest } from './chat-tools';
import { chatFormat } from './chat-completion.format';

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

/**
 * `tool_execution: 'server'`: the gateway runs the functions the model calls and asks the model again with their
 * results, until it answers in text or the step limit is reached (the last step offers no tools, so it must
 * answer). `tool_choice` applies to the first step; later steps are `auto`. A function that fails gives the model
 * an error result. Each step is a metered job; the answer's usage is the sum of all steps and `tool_trace` lists
 * every call with its output.
 */
@Injectable()
export class ServerToolLoop {
  constructor(
    private readonly runner: CompletionRunner,
    private readonly registry: FunctionRegistry,
    @Inject(gatewayConfig.KEY) private readonly cfg: ConfigType<typeof gatewayConfig>,
  ) {}

  async run(
    reply: FastifyReply,
    base: Omit<ChatCompleteV1Payload, 'messages' | 'tools' | 'toolChoice' | 'parallelToolCalls'>,
    run: { principal: Parameters<CompletionRunner['collect']>[1]['principal']; defaultMaxTokens: number },
    messages: ChatMessage[],
    tools: ChatToolRequest,
  ): Promise<void> {
    const abort = new AbortController();
    reply.raw.on('close', () => abort.abort());
    const trace: ToolTraceEntry[] = [];
    const usage = { promptTokens: 0, completionTokens: 0 };
    const history = [...messages];
    let last: { result: GenerationResult; jobId: string } | null = null;
    for (let step = 0; step < this.cfg.toolMaxSteps; step++) {
      const final = step === this.cfg.toolMaxSteps - 1;
      const payload: ChatCompleteV1Payload = {
        ...base,
        messages: history,
        ...(final ? {} : { tools: tools.plan.tools }),
        toolChoice: step === 0 ? tools.plan.toolChoice : 'auto',
        parallelToolCalls: tools.plan.parallelToolCalls,
      };
      const { result, start } = await this.runner.collect(reply, {
        principal: run.principal,
        endpoint: 'chat.completions',
        reserveTokens:
          estimateTokens(JSON.stringify(history) + JSON.stringify(payload.tools ?? [])) +
          (base.sampling.maxTokens ?? run.defaultMaxTokens),
        model: base.model,
        job: 'chat.complete.v1',
        payload,
      });
      usage.promptTokens += result.usage.promptTokens;
      usage.completionTokens += result.usage.completionTokens;
      last = { result, jobId: start.jobId };
      const calls = result.toolCalls ?? [];
      if (!calls.length || final) break;
      history.push({ role: 'assistant', content: result.text, toolCalls: calls });
      for (const call of calls) {
        const outcome = await this.registry.execute(call.name, call.arguments, abort.signal);
        trace.push({ step, id: call.id, name: call.name, arguments: call.arguments, ...outcome });
        history.push({ role: 'tool', content: outcome.output, toolCallId: call.id });
      }
    }
    const { result, jobId } = last!;
    const id = `chatcmpl-${jobId.replace(/-/g, '')}`;
    await reply.send(chatFormat(base.model).response(id, { ...result, usage }, { tool_trace: trace }));
  }
}
