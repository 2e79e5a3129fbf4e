import type { ChatMessage, PromptContext, PromptSection } from '@llmp/contracts';

export interface FitOptions {
  /** Tokens the prompt may use (context size minus the room kept for the reply). */
  limit: number;
  budgets?: Partial<Record<PromptSection, number>>;
  countTokens: (text: string) => number;
  /** Template tokens per message (role markers, separators), added to each message's content tokens. */
  perMessageOverhead: number;
}

export interface FitResult {
  messages: ChatMessage[];
  context: PromptContext;
  /** Estimated total (content plus overhead); the caller renders the template and checks the exact count. */
  estimatedTokens: number;
}

interface Entry {
  message: ChatMessage;
  section: PromptSection;
  tokens: number;
}

/** The prompt does not fit even with everything droppable dropped. */
export class PromptTooLongError extends Error {
  constructor(readonly tokens: number) {
    super(`prompt needs ${tokens} tokens`);
  }
}

/**
 * Fits a sectioned prompt (system, summary, memories, verbatim turns, new input) into a token limit: first each
 * section into its budget, then the whole into the limit, dropping verbatim turns oldest first, then memories
 * lowest score first, then the summary. System messages and the new input are never dropped. Pure: the token
 * counter is injected (the model's own tokenizer in the worker).
 */
export function fitPrompt(messages: ChatMessage[], opts: FitOptions): FitResult {
  const entries: Entry[] = messages.map((message) => ({
    message,
    section: message.section ?? 'input',
    tokens: opts.countTokens(message.content) + opts.perMessageOverhead,
  }));
  const kept = new Set(entries);
  const dropped: Entry[] = [];
  const drop = (e: Entry) => {
    if (kept.delete(e)) dropped.push(e);
  };

  const turns = entries.filter((e) => e.section === 'turn'); // chronological
  const memories = entries
    .filter((e) => e.section === 'memory')
    .sort((a, b) => (a.message.score ?? 0) - (b.message.score ?? 0));
  const summaries = entries.filter((e) => e.section === 'summary');
  const dropOrder: Record<'turn' | 'memory' | 'summary', Entry[]> = {
    turn: turns,
    memory: memories,
    summary: summaries,
  };

  for (const section of ['turn', 'memory', 'summary'] as const) {
    const budget = opts.budgets?.[section];
    if (budget === undefined) continue;
    let used = sum(dropOrder[section]);
    for (const e of dropOrder[section]) {
      if (used <= budget) break;
      drop(e);
      used -= e.tokens;
    }
  }

  let total = sum([...kept]);
  for (const e of [...turns, ...memories, ...summaries]) {
    if (total <= opts.limit) break;
    if (!kept.has(e)) continue;
    drop(e);
    total -= e.tokens;
  }
  if (total > opts.limit) throw new PromptTooLongError(total);

  const keptEntries = entries.filter((e) => kept.has(e));
  const tokens: Record<string, number> = {};
  for (const e of keptEntries) tokens[e.section] = (tokens[e.section] ?? 0) + e.tokens;
  return {
    messages: keptEntries.map((e) => e.message),
    estimatedTokens: total,
    context: {
      tokens,
      summaryId: keptEntries.find((e) => e.section === 'summary')?.message.ref ?? null,
      memories: keptEntries
        .filter((e) => e.section === 'memory')
        .map((e) => ({ id: e.message.ref ?? '', score: e.message.score ?? null })),
      verbatimIds: keptEntries.filter((e) => e.section === 'turn' && e.message.ref).map((e) => e.message.ref!),
      droppedIds: dropped.filter((e) => e.message.ref).map((e) => e.message.ref!),
    },
  };
}

function sum(entries: Entry[]): number {
  return entries.reduce((n, e) => n + e.tokens, 0);
}
