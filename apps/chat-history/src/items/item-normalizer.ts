import {
  ContentPartView,
  ITEM_ID_PREFIX,
  ItemInput,
  ItemType,
  ItemView,
  MessageRole,
  SequencedItemView,
} from '@llmp/contracts';

/** The stored fields of an item besides id, type and role: what its view shows. */
export type StoredItemBody =
  | { content: ContentPartView[] }
  | { call_id: string; name: string; arguments: string }
  | { call_id: string; output: string };

export interface NormalizedItem {
  idPrefix: string;
  type: ItemType;
  role: MessageRole | null;
  body: StoredItemBody;
}

/**
 * Normalises an input item for storage: message content becomes parts typed by role (user, system and developer:
 * `input_text`; assistant: `output_text` with annotations), whatever part type or string the caller sent.
 */
export function normalizeItem(item: ItemInput): NormalizedItem {
  switch (item.type) {
    case 'message': {
      const parts = typeof item.content === 'string' ? [{ text: item.content }] : item.content;
      const content: ContentPartView[] = parts.map((p) =>
        item.role === 'assistant'
          ? {
              type: 'output_text',
              text: p.text,
              annotations: 'annotations' in p && Array.isArray(p.annotations) ? p.annotations : [],
            }
          : { type: 'input_text', text: p.text },
      );
      return { idPrefix: ITEM_ID_PREFIX.message, type: 'message', role: item.role, body: { content } };
    }
    case 'function_call':
      return {
        idPrefix: ITEM_ID_PREFIX.function_call,
        type: 'function_call',
        role: null,
        body: { call_id: item.call_id, name: item.name, arguments: item.arguments },
      };
    case 'function_call_output':
      return {
        idPrefix: ITEM_ID_PREFIX.function_call_output,
        type: 'function_call_output',
        role: null,
        body: { call_id: item.call_id, output: item.output },
      };
  }
}

export interface StoredItem {
  id: string;
  type: ItemType;
  role: MessageRole | null;
  body: StoredItemBody;
}

/** The public view of a stored item, fields in OpenAI's order. */
export function toItemView(item: StoredItem): ItemView {
  const body = item.body as Record<string, unknown>;
  switch (item.type) {
    case 'message':
      return {
        type: 'message',
        id: item.id,
        status: 'completed',
        role: item.role ?? 'user',
        content: (body.content as ContentPartView[]) ?? [],
      };
    case 'function_call':
      return {
        type: 'function_call',
        id: item.id,
        status: 'completed',
        call_id: String(body.call_id),
        name: String(body.name),
        arguments: String(body.arguments),
      };
    case 'function_call_output':
      return {
        type: 'function_call_output',
        id: item.id,
        status: 'completed',
        call_id: String(body.call_id),
        output: String(body.output),
      };
  }
}

export function toSequencedItemView(item: StoredItem & { seq: number }): SequencedItemView {
  return { ...toItemView(item), seq: item.seq };
}

/** The plain text of an item, for summaries and exports. */
export function itemText(item: ItemView): string {
  switch (item.type) {
    case 'message':
      return item.content.map((p) => p.text).join('\n');
    case 'function_call':
      return `${item.name}(${item.arguments})`;
    case 'function_call_output':
      return item.output;
  }
}
