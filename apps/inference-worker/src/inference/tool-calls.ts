import { randomBytes } from 'node:crypto';
import type {
  ChatHistoryItem,
  ChatModelFunctions,
  ChatWrapper,
  ChatWrapperGenerateContextStateOptions,
  ChatWrapperGeneratedContextState,
  LlamaChatResponseFunctionCall,
  LlamaChatResponseFunctionCallParamsChunk,
} from 'node-llama-cpp';
import { ChatMessage, InferenceErrorCode, ToolCall, ToolDefinition } from '@llmp/contracts';
import { SchemaValidator, toGrammarSchema } from '@llmp/platform';
import { GenerationError } from './generation-error';

/** Most calls one reply may hold when parallel calls are allowed. */
export const MAX_PARALLEL_CALLS = 8;

/** The job's tools as node-llama-cpp functions; their parameters constrain the arguments through a grammar. */
export function toFunctions(tools: readonly ToolDefinition[] | undefined): ChatModelFunctions | undefined {
  if (!tools?.length) return undefined;
  const functions: Record<string, ChatModelFunctions[string]> = {};
  for (const tool of tools) {
    functions[tool.name] = {
      ...(tool.description ? { description: tool.description } : {}),
      ...(tool.parameters ? { params: toGrammarSchema(tool.parameters) as never } : {}),
    };
  }
  return functions;
}

/**
 * The model's chat wrapper with its reply starting in function-calling mode, so the first thing generated is a
 * call (`tool_choice: required` or a named function). node-llama-cpp has no such option; its own Functionary
 * wrapper uses this context-state field (`functionCall.initiallyEngaged`), and without text triggers that leave
 * the mode the reply can only be calls. The prompt is the wrapper's own, unchanged.
 */
export function forcedCallWrapper(wrapper: ChatWrapper): ChatWrapper {
  const forced: ChatWrapper = Object.create(wrapper);
  forced.generateContextState = (options: ChatWrapperGenerateContextStateOptions): ChatWrapperGeneratedContextState => {
    const state = wrapper.generateContextState(options);
    return {
      contextText: state.contextText,
      stopGenerationTriggers: state.stopGenerationTriggers,
      ...(state.ignoreStartText ? { ignoreStartText: state.ignoreStartText } : {}),
      functionCall: { initiallyEngaged: true, disengageInitiallyEngaged: [] },
    };
  };
  return forced;
}

/**
 * The job's messages as node-llama-cpp chat history: an assistant message's calls become function-call items
 * holding the results of the tool messages that answer them (the gateway checked every answer has its call).
 */
export function toChatHistory(messages: readonly ChatMessage[]): ChatHistoryItem[] {
  const results = new Map<string, string>();
  for (const m of messages) if (m.role === 'tool' && m.toolCallId) results.set(m.toolCallId, m.content);
  const history: ChatHistoryItem[] = [];
  for (const m of messages) {
    switch (m.role) {
      case 'system':
        history.push({ type: 'system', text: m.content });
        break;
      case 'user':
        history.push({ type: 'user', text: m.content });
        break;
      case 'assistant': {
        const response: Extract<ChatHistoryItem, { type: 'model' }>['response'] = m.content ? [m.content] : [];
        for (const call of m.toolCalls ?? []) {
          response.push({
            type: 'functionCall',
            name: call.name,
            params: parseOr(call.arguments, call.arguments),
            result: parseOr(results.get(call.id) ?? '', results.get(call.id) ?? ''),
          });
        }
        // Calls, their results and the text after them are one model turn (tool messages render inside it).
        const last = history[history.length - 1];
        if (last?.type === 'model') last.response.push(...response);
        else history.push({ type: 'model', response });
        break;
      }
      case 'tool':
        break; // rendered with the call it answers
    }
  }
  // The reply continues a trailing assistant message, else starts a new one.
  if (history[history.length - 1]?.type !== 'model') history.push({ type: 'model', response: [] });
  return history;
}

/**
 * Turns node-llama-cpp's function-call output into OpenAI's tool calls: streams each call's fragments (id and
 * name first, then argument text, trailing whitespace the grammar allows held back) and, at the end, checks every
 * call's arguments against its schema again with ajv before they leave the worker.
 */
export class ToolCallStream {
  private readonly ids: string[] = [];
  private readonly heldWhitespace: string[] = [];
  /** Each call's argument text as generated (what a stream sent), trailing whitespace left out. */
  private readonly texts: string[] = [];

  constructor(
    private readonly tools: readonly ToolDefinition[],
    private readonly validator: SchemaValidator,
    private readonly emit?: (index: number, args: string, head?: { id: string; name: string }) => void,
  ) {}

  readonly onChunk = (chunk: LlamaChatResponseFunctionCallParamsChunk): void => {
    const i = chunk.callIndex;
    if (this.ids[i] === undefined) {
      this.ids[i] = newCallId();
      this.heldWhitespace[i] = '';
      this.texts[i] = '';
      this.emit?.(i, '', { id: this.ids[i]!, name: chunk.functionName });
    }
    const text = this.heldWhitespace[i] + chunk.paramsChunk;
    const body = text.trimEnd();
    this.heldWhitespace[i] = text.slice(body.length);
    if (!body) return;
    this.texts[i] += body;
    this.emit?.(i, body);
  };

  finish(calls: readonly LlamaChatResponseFunctionCall<ChatModelFunctions>[]): ToolCall[] {
    return calls.map((call, i) => {
      const tool = this.tools.find((t) => t.name === call.functionName);
      const params = call.params ?? {};
      if (tool?.parameters) {
        const problem = this.validator.valueError(tool.parameters, params);
        if (problem) {
          throw new GenerationError(
            InferenceErrorCode.WorkerFailed,
            `The model's call of '${call.functionName}' does not match its parameters (${problem})`,
            'tools',
          );
        }
      }
      // The generated text, so a stream's fragments concatenate to exactly the arguments of the final call.
      const text = this.texts[i];
      const args = text && parsesTo(text, params) ? text : JSON.stringify(params);
      return { id: (this.ids[i] ??= newCallId()), name: call.functionName, arguments: args };
    });
  }
}

function newCallId(): string {
  return `call_${randomBytes(12).toString('hex')}`;
}

function parsesTo(text: string, value: unknown): boolean {
  try {
    return JSON.stringify(JSON.parse(text)) === JSON.stringify(value);
  } catch {
    return false;
  }
}

function parseOr(text: string, fallback: unknown): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return fallback;
  }
}
