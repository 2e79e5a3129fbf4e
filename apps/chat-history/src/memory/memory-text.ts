import { itemText, toItemView } from '../items/item-normalizer';
import type { StoredItem } from '../items/item-normalizer';

/** What a message contributes to the memory index: its text; nothing for other items or blank messages. */
export function memoryText(item: StoredItem): string | null {
  if (item.type !== 'message') return null;
  const text = itemText(toItemView(item)).trim();
  return text || null;
}
