import type {
  AnthropicMessageParam,
  AnthropicToolChoice,
  ChatMessage,
  CountTokensRequest,
  MessagesRequest,
  SamplingParams,
} from '@llmp/contracts';
import { ApiError, ApiErrorCode } from '@llmp/platform';
import type { ChatToolRequest } from '../chat-completions/chat-tools';
import { ToolChoiceInput, planFormat, planTools, refuseFormatWithTools } from '../tools/tool-request';

/** A tool call id in Anthropic's form: the worker's `call_<hex>` becomes `toolu_<hex>`. */
export const toolUseId = (callId: string): string => `toolu_${callId.replace(/^call_/, '')}`;

type TextBlocks = string | { text: string }[];
const joined = (content: TextBlocks | undefined): string =>
  content == null ? '' : typeof content === 'string' ? content : content.map((b) => b.text).join('\n');

/**
 * A failed tool's result as the model sees it: the shape the platform's own tool loop gives a failed call
 * (`{"error": …}`), since the job's tool messages carry no error flag.
 */
const toolResultText = (content: TextBlocks | undefined, isError: boolean | undefined): string =>
  isError ? JSON.stringify({ error: joined(content) }) : joined(content);

/**
 * `system` and the message list → the job's messages. As Anthropic requires, every `tool_use` of an assistant
 * message is answered by a `tool_result` of the next message (its results first, then any text) and every
 * `tool_result` answers one; the list may not end with an assistant message (a prefill, which the platform does not
 * continue).
 */
export function toJobMessages(system: TextBlocks | undefined, messages: AnthropicMessageParam[]): ChatMessage[] {
  const out: ChatMessage[] = [];
  const instructions = joined(system);
  if (instructions !== '') out.push({ role: 'system', content: instructions });
  let pending = new Set<string>();
  const unanswered = (at: number) => {
    if (!pending.size) return;
    throw new ApiError(
      ApiErrorCode.InvalidRequest,
      `messages[${at}]: tool_use ids were found without tool_result blocks immediately after: ` +
        `${[...pending].join(', ')}. Each tool_use block must have a corresponding tool_result block in the next message.`,
      `messages[${at}]`,
    );
  };
  messages.forEach((m, i) => {
    switch (m.role) {
      case 'system':
        unanswered(i);
        out.push({ role: 'system', content: joined(m.content) });
        return;
      case 'assistant': {
        unanswered(i);
        if (i === messages.length - 1) {
          throw new ApiError(
            ApiErrorCode.UnsupportedParameter,
            `messages[${i}]: a final assistant message (a prefill for the reply to continue) is not supported by ` +
              'this server: end the list with a user message.',
            `messages[${i}]`,
          );
        }
        const blocks = typeof m.content === 'string' ? [{ type: 'text' as const, text: m.content }] : m.content;
        const text = blocks.flatMap((b) => (b.type === 'text' ? [b.text] : [])).join('');
        const calls = blocks.flatMap((b) =>
          b.type === 'tool_use' ? [{ id: b.id, name: b.name, arguments: JSON.stringify(b.input) }] : [],
        );
        pending = new Set(calls.map((c) => c.id));
        out.push({ role: 'assistant', content: text, ...(calls.length ? { toolCalls: calls } : {}) });
        return;
      }
      case 'user': {
        if (typeof m.content === 'string') {
          unanswered(i);
          out.push({ role: 'user', content: m.content });
          return;
        }
        const texts: string[] = [];
        m.content.forEach((b, j) => {
          const where = `messages[${i}].content[${j}]`;
          if (b.type === 'text') {
            texts.push(b.text);
            return;
          }
          if (texts.length) {
            throw new ApiError(
              ApiErrorCode.InvalidRequest,
              `${where}: tool_result blocks must come first in a message's content, before any text.`,
              where,
            );
          }
          if (!pending.delete(b.tool_use_id)) {
            throw new ApiError(
              ApiErrorCode.InvalidRequest,
              `${where}: unexpected tool_use_id ${JSON.stringify(b.tool_use_id)} in tool_result blocks. Each ` +
                'tool_result block must have a corresponding tool_use block in the previous message.',
              `${where}.tool_use_id`,
            );
          }
          out.push({ role: 'tool', content: toolResultText(b.content, b.is_error), toolCallId: b.tool_use_id });
        });
        unanswered(i);
        if (texts.length) out.push({ role: 'user', content: texts.join('\n') });
      }
    }
  });
  return out;
}

/** `tools`, `tool_choice` and `output_config.format` resolved for the job, as on Chat Completions. */
export function messagesToolPlan(
  r: Pick<CountTokensRequest, 'tools' | 'tool_choice' | 'output_config'>,
): Omit<ChatToolRequest, 'legacy'> {
  const tools = r.tools ?? [];
  const choice = r.tool_choice;
  if ((choice?.type === 'any' || choice?.type === 'tool') && !tools.length) {
    throw new ApiError(
      ApiErrorCode.InvalidRequest,
      `tool_choice '${choice.type}' needs at least one tool in tools.`,
      'tool_choice',
    );
  }
  const plan = planTools(
    tools.map((t) => ({ name: t.name, description: t.description, parameters: t.input_schema })),
    toolChoice(choice),
    !(choice && choice.type !== 'none' && choice.disable_parallel_tool_use),
    { tools: 'tools', choice: 'tool_choice' },
  );
  const format = r.output_config?.format;
  const responseFormat = planFormat(
    format ? { type: 'json_schema', schema: format.schema } : null,
    'output_config.format',
  );
  refuseFormatWithTools(plan, responseFormat, 'output_config.format');
  return { plan, responseFormat };
}

function toolChoice(c: AnthropicToolChoice | undefined): ToolChoiceInput {
  switch (c?.type) {
    case undefined:
    case 'auto':
      return { mode: 'auto' };
    case 'none':
      return { mode: 'none' };
    case 'any':
      return { mode: 'required' };
    case 'tool':
      return { mode: 'required', only: [c.name] };
  }
}

/** The job's sampling: `max_tokens`, `temperature`, `top_p` and `stop_sequences`. */
export function toMessagesSampling(r: MessagesRequest): Omit<SamplingParams, 'stop'> & { stop: string[] } {
  return {
    maxTokens: r.max_tokens,
    temperature: r.temperature,
    topP: r.top_p,
    stop: r.stop_sequences ?? [],
  };
}
