import type { ChatCompletionRequest, ChatMessage, ItemInput, ResponseFormat } from '@llmp/contracts';
import { ApiError, ApiErrorCode } from '@llmp/platform';
import { ToolChoiceInput, ToolPlan, planFormat, planTools, refuseFormatWithTools } from '../tools/tool-request';

/** What a chat request asks of tools and formats, for the job. */
export interface ChatToolRequest {
  plan: ToolPlan;
  responseFormat?: ResponseFormat;
  /** The request used the legacy `functions` API: replies carry `function_call`, not `tool_calls`. */
  legacy: boolean;
}

/**
 * Chat Completions' `tools` / `tool_choice` / `parallel_tool_calls`, the legacy `functions` / `function_call`, and
 * `response_format`, checked and resolved for the job.
 */
export function chatToolRequest(r: ChatCompletionRequest): ChatToolRequest {
  if (r.tools?.length && r.functions?.length) {
    throw new ApiError(
      ApiErrorCode.InvalidRequest,
      "Send either 'tools' or the legacy 'functions', not both.",
      'functions',
    );
  }
  const custom = (r.tools ?? []).findIndex((t) => t.type !== 'function');
  if (custom >= 0) {
    throw new ApiError(
      ApiErrorCode.UnsupportedParameter,
      "Custom tools are not supported by this server (only type 'function').",
      `tools[${custom}]`,
    );
  }
  const legacy = !!r.functions?.length;
  const defs = legacy ? r.functions! : (r.tools ?? []).flatMap((t) => (t.type === 'function' ? [t.function] : []));
  const choice: ToolChoiceInput = legacy ? legacyChoice(r.function_call) : toolChoice(r.tool_choice);
  const plan = planTools(defs, choice, legacy ? false : (r.parallel_tool_calls ?? true), {
    tools: legacy ? 'functions' : 'tools',
    choice: legacy ? 'function_call' : 'tool_choice',
  });
  const format = r.response_format;
  const responseFormat = planFormat(
    format?.type === 'json_schema' ? { type: 'json_schema', schema: format.json_schema.schema } : format,
    'response_format',
  );
  refuseFormatWithTools(plan, responseFormat, 'response_format');
  if (plan.tools && r.logprobs) {
    throw new ApiError(
      ApiErrorCode.UnsupportedParameter,
      "'logprobs' together with callable tools is not supported by this server.",
      'logprobs',
    );
  }
  return { plan, responseFormat, legacy };
}

function toolChoice(c: ChatCompletionRequest['tool_choice']): ToolChoiceInput {
  if (c == null) return { mode: 'auto' };
  if (typeof c === 'string') return { mode: c };
  if (c.type === 'function') return { mode: 'required', only: [c.function.name] };
  return { mode: c.allowed_tools.mode, only: c.allowed_tools.tools.map((t) => t.function.name) };
}

function legacyChoice(c: ChatCompletionRequest['function_call']): ToolChoiceInput {
  if (c == null) return { mode: 'auto' };
  if (typeof c === 'string') return { mode: c };
  return { mode: 'required', only: [c.name] };
}

export const textOf = (content: unknown): string =>
  content == null
    ? ''
    : typeof content === 'string'
      ? content
      : (content as { text: string }[]).map((p) => p.text).join('');

/**
 * OpenAI message list → the job's messages (developer instructions are system instructions). Every tool message
 * must answer a call of the assistant message before it, and every call must be answered before the conversation
 * goes on, as OpenAI requires; the legacy `function` message answers the preceding `function_call`.
 */
export function toChatMessages(messages: ChatCompletionRequest['messages']): ChatMessage[] {
  const out: ChatMessage[] = [];
  let pending = new Map<string, string>(); // call id → function name
  const unanswered = (at: number) => {
    if (!pending.size) return;
    throw new ApiError(
      ApiErrorCode.InvalidRequest,
      `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. ` +
        `The following tool_call_ids did not have response messages: ${[...pending.keys()].join(', ')}`,
      `messages[${at}]`,
    );
  };
  messages.forEach((m, i) => {
    switch (m.role) {
      case 'tool': {
        if (!pending.has(m.tool_call_id)) {
          throw new ApiError(
            ApiErrorCode.InvalidRequest,
            `'tool_call_id' ${JSON.stringify(m.tool_call_id)} does not answer a tool call of the preceding assistant message.`,
            `messages[${i}].tool_call_id`,
          );
        }
        pending.delete(m.tool_call_id);
        out.push({ role: 'tool', content: textOf(m.content), toolCallId: m.tool_call_id });
        return;
      }
      case 'function': {
        const id = [...pending].find(([, name]) => name === m.name)?.[0];
        if (!id) {
          throw new ApiError(
            ApiErrorCode.InvalidRequest,
            `The function message for '${m.name}' does not answer a function_call of the preceding assistant message.`,
            `messages[${i}].name`,
          );
        }
        pending.delete(id);
        out.push({ role: 'tool', content: m.content ?? '', toolCallId: id });
        return;
      }
      case 'assistant': {
        unanswered(i);
        const calls = (m.tool_calls ?? []).map((c) => ({
          id: c.id,
          name: c.function.name,
          arguments: c.function.arguments,
        }));
        if (m.function_call) calls.push({ id: `legacy_${i}`, ...m.function_call });
        pending = new Map(calls.map((c) => [c.id, c.name]));
        out.push({ role: 'assistant', content: textOf(m.content), ...(calls.length ? { toolCalls: calls } : {}) });
        return;
      }
      case 'system':
      case 'developer':
      case 'user':
        unanswered(i);
        out.push({ role: m.role === 'developer' ? 'system' : m.role, content: textOf(m.content) });
    }
  });
  unanswered(messages.length - 1);
  return out;
}

/**
 * The messages of a request on a stored conversation as the items it appends: text messages, an assistant's
 * `tool_calls` as `function_call` items and tool messages as `function_call_output` items (whether each answers a
 * call, of the request or of the stored history, is checked on the built prompt). The legacy `function` messages
 * carry no call id to store, so they are refused here.
 */
export function toConversationInput(messages: ChatCompletionRequest['messages']): ItemInput[] {
  return messages.flatMap((m, i): ItemInput[] => {
    switch (m.role) {
      case 'tool':
        return [{ type: 'function_call_output', call_id: m.tool_call_id, output: textOf(m.content) }];
      case 'function':
        throw new ApiError(
          ApiErrorCode.UnsupportedParameter,
          "Legacy 'function' messages cannot be stored in a conversation (they carry no call id): use tools and tool messages.",
          `messages[${i}]`,
        );
      case 'assistant': {
        if (m.function_call) {
          throw new ApiError(
            ApiErrorCode.UnsupportedParameter,
            "A legacy 'function_call' cannot be stored in a conversation: use tool_calls.",
            `messages[${i}].function_call`,
          );
        }
        const text = textOf(m.content);
        const calls = (m.tool_calls ?? []).map((c): ItemInput => ({
          type: 'function_call',
          call_id: c.id,
          name: c.function.name,
          arguments: c.function.arguments,
        }));
        return [
          ...(text !== '' || !calls.length
            ? [
                {
                  type: 'message' as const,
                  role: 'assistant' as const,
                  content: [{ type: 'output_text' as const, text }],
                },
              ]
            : []),
          ...calls,
        ];
      }
      case 'system':
      case 'developer':
      case 'user':
        return [{ type: 'message', role: m.role, content: textOf(m.content) }];
    }
  });
}
