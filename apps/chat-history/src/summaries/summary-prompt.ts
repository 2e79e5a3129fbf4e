import type { ChatMessage, ItemView } from '@llmp/contracts';
import { itemText } from '../items/item-normalizer';

export const SUMMARY_INSTRUCTION =
  'You maintain the running summary of a conversation. Rewrite the summary so that it also covers the new turns. ' +
  'Keep facts, names, numbers, decisions and open questions; be brief; answer with the summary only.';

const OMITTED = '[earlier turns omitted]';

/** One transcript line per item: `user: …`, `assistant: …`, `function_call: name(args)`, `function_output: …`. */
export function transcriptLine(item: ItemView): string {
  const text = itemText(item).replace(/\s+/g, ' ').trim();
  switch (item.type) {
    case 'message':
      return `${item.role}: ${text}`;
    case 'function_call':
      return `function_call: ${text}`;
    case 'function_call_output':
      return `function_output: ${text}`;
  }
}

/**
 * The messages asking a model for a rolling summary: the previous summary and the new items, within `maxChars`
 * (the previous summary gets at most a third; the newest turns are kept first, older ones are dropped).
 */
export function buildSummaryMessages(
  previousSummary: string | null,
  items: ItemView[],
  maxChars: number,
): ChatMessage[] {
  let budget = maxChars;
  let previous = '';
  if (previousSummary) {
    previous = truncate(previousSummary.trim(), Math.floor(maxChars / 3));
    budget -= previous.length;
  }
  const kept: string[] = [];
  for (let i = items.length - 1; i >= 0; i--) {
    const line = transcriptLine(items[i]!);
    if (line.length + 1 <= budget) {
      kept.push(line);
      budget -= line.length + 1;
      continue;
    }
    // The newest turn is always there, cut if it must be; what is older than the budget allows is dropped.
    if (kept.length > 0) {
      kept.push(OMITTED);
    } else {
      kept.push(truncate(line, Math.max(1, budget - 1)));
      if (i > 0) kept.push(OMITTED);
    }
    break;
  }
  const transcript = kept.reverse().join('\n');
  const parts = [
    previous ? `Summary so far:\n${previous}` : null,
    `New turns:\n${transcript}`,
    previous ? 'Write the updated summary.' : 'Write the summary.',
  ].filter((p): p is string => p !== null);
  return [
    { role: 'system', content: SUMMARY_INSTRUCTION },
    { role: 'user', content: parts.join('\n\n') },
  ];
}

function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  return max <= 1 ? text.slice(0, max) : `${text.slice(0, max - 1)}…`;
}
