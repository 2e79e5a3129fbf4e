import type { ChatMessage, ConversationContext, ItemInput, ItemView } from '@llmp/contracts';
import { ApiError, ApiErrorCode } from '@llmp/platform';

/** The text of a stored or incoming item, as the model reads it in a transcript. */
export function itemText(item: ItemView | ItemInput): string {
  switch (item.type) {
    case 'message':
      return typeof item.content === 'string' ? item.content : item.content.map((p) => p.text).join('');
    case 'function_call':
      return `Called function ${item.name}(${item.arguments}) [call ${item.call_id}]`;
    case 'function_call_output':
      return `Function result [call ${item.call_id}]: ${item.output}`;
  }
}

/** The chat role an item plays in the prompt. */
export function itemRole(item: ItemView | ItemInput): ChatMessage['role'] {
  switch (item.type) {
    case 'message':
      return item.role === 'assistant' ? 'assistant' : item.role === 'user' ? 'user' : 'system';
    case 'function_call':
      return 'assistant';
    case 'function_call_output':
      return 'user';
  }
}

/**
 * A stateful prompt in the order the worker fits it: system prompt (the conversation's, then `instructions`) →
 * rolling summary → recalled memories → verbatim turns → the new input. Each message is tagged with its section
 * and the id it comes from, so the worker can drop history to fit and report what it kept.
 */
export function buildStatefulPrompt(opts: {
  systemPrompt: string | null;
  instructions?: string | null;
  summary?: ConversationContext['summary'];
  memories?: ConversationContext['memories'];
  turns: (ItemView & { id: string })[];
  input: ItemInput[];
}): ChatMessage[] {
  const messages: ChatMessage[] = [];
  if (opts.systemPrompt) messages.push({ role: 'system', content: opts.systemPrompt, section: 'system' });
  if (opts.instructions) messages.push({ role: 'system', content: opts.instructions, section: 'system' });
  if (opts.summary) {
    messages.push({
      role: 'system',
      content: `Summary of the earlier conversation:\n${opts.summary.text}`,
      section: 'summary',
      ref: opts.summary.id,
    });
  }
  for (const m of opts.memories ?? []) {
    messages.push({
      role: 'system',
      content: `Recalled from an earlier message: ${m.text}`,
      section: 'memory',
      ref: m.id,
      score: m.score,
    });
  }
  for (const item of opts.turns) messages.push({ ...itemMessage(item), section: 'turn', ref: item.id });
  for (const item of opts.input) messages.push({ ...itemMessage(item), section: 'input' });
  return messages;
}

/**
 * An item as a prompt message: a function call is an assistant message carrying the call, its output a tool
 * message answering it, so the chat template renders both in the model's own function-calling syntax.
 */
function itemMessage(item: ItemView | ItemInput): ChatMessage {
  switch (item.type) {
    case 'function_call':
      return {
        role: 'assistant',
        content: '',
        toolCalls: [{ id: item.call_id, name: item.name, arguments: item.arguments }],
      };
    case 'function_call_output':
      return { role: 'tool', content: item.output, toolCallId: item.call_id };
    case 'message':
      return { role: itemRole(item), content: itemText(item) };
  }
}

/**
 * Every tool message answers a call made before it (OpenAI: "No tool call found for function call output with
 * call_id …"); `param` names the request field that carried it.
 */
export function checkToolAnswers(messages: ChatMessage[], param: string): void {
  const calls = new Set<string>();
  for (const m of messages) {
    for (const c of m.toolCalls ?? []) calls.add(c.id);
    if (m.role === 'tool' && !calls.has(m.toolCallId ?? '')) {
      throw new ApiError(
        ApiErrorCode.InvalidRequest,
        `No tool call found for function call output with call_id ${m.toolCallId}.`,
        param,
      );
    }
  }
}
