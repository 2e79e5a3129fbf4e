import { Injectable } from '@nestjs/common';
import {
  ChatMessage,
  GenerationResult,
  ItemInput,
  MAX_ITEMS_PER_CREATE,
  MAX_RECALL_QUERY_CHARS,
  Principal,
} from '@llmp/contracts';
import { ApiError, ApiErrorCode } from '@llmp/platform';
import { ChatHistoryClient } from './chat-history.client';
import { buildStatefulPrompt, itemText } from './conversation-prompt';

/** How many of the newest unsummarised turns are loaded for a prompt (the worker then fits them). */
const MAX_TURNS = 200;

/**
 * Stateful chat over a stored conversation: load its system prompt, summary, the memories the new input recalls
 * and recent turns into a sectioned prompt, and after generation append the input and the reply in one transaction (idempotent per job, so a
 * retried request never stores the exchange twice).
 */
@Injectable()
export class StatefulChat {
  constructor(private readonly history: ChatHistoryClient) {}

  async promptFor(
    p: Principal,
    conversationId: string,
    input: ItemInput[],
    instructions?: string | null,
  ): Promise<ChatMessage[]> {
    if (input.length > MAX_ITEMS_PER_CREATE - 1) {
      throw new ApiError(
        ApiErrorCode.InvalidRequest,
        `A request on a conversation may add at most ${MAX_ITEMS_PER_CREATE - 1} input items.`,
        'input',
      );
    }
    const ctx = await this.history.call('loadContext', {
      userId: p.userId,
      conversationId,
      maxTurns: MAX_TURNS,
      query: recallQuery(input),
    });
    return buildStatefulPrompt({
      systemPrompt: ctx.conversation.system_prompt,
      instructions,
      summary: ctx.summary,
      memories: ctx.memories,
      turns: ctx.turns,
      input,
    });
  }

  async append(
    p: Principal,
    conversationId: string,
    input: ItemInput[],
    result: Pick<GenerationResult, 'text' | 'toolCalls'>,
    idempotencyKey: string,
    responseId?: string,
  ): Promise<void> {
    await this.history.call('createItems', {
      userId: p.userId,
      conversationId,
      items: [...input, ...outputItems(result)],
      idempotencyKey,
      responseId,
    });
  }
}

/** A reply as conversation items: its text (when it has some, or nothing else), then each function call. */
export function outputItems(result: Pick<GenerationResult, 'text' | 'toolCalls'>): ItemInput[] {
  const calls = result.toolCalls ?? [];
  const items: ItemInput[] = [];
  if (result.text !== '' || !calls.length) {
    items.push({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: result.text }] });
  }
  for (const c of calls) items.push({ type: 'function_call', call_id: c.id, name: c.name, arguments: c.arguments });
  return items;
}

/** What the new input recalls memories by: its messages' text (the end of it, where the question usually is). */
export function recallQuery(input: ItemInput[]): string | undefined {
  const text = input
    .filter((item) => item.type === 'message')
    .map(itemText)
    .join('\n')
    .trim();
  return text ? text.slice(-MAX_RECALL_QUERY_CHARS) : undefined;
}
