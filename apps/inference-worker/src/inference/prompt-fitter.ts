import type { ChatMessage, PromptContext, PromptPart, PromptSection } from '@llmp/contracts';

export interface FitOptions {
  /** Tokens the prompt may use (context size minus the room kept for the reply). */
  limit: number;
  budgets?: Partial<Record<PromptSection, number>>;
  countTokens: (text: string) => number;
  /** Template tokens per message (role markers, separators), added to each message's content tokens. */
  perMessageOverhead: number;
  /** Also list the kept messages with their tokens (dry runs only: every other request skips the copy). */
  withParts?: boolean;
}

export interface FitResult {
  messages: ChatMessage[];
  context: PromptContext;
  /** Estimated total (content plus overhead); the caller renders the template and checks the exact count. */
  estimatedTokens: number;
  /** With `withParts`: the kept messages in order, each with its section and tokens (what a dry run shows). */
  parts?: PromptPart[];
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
 * Fits a sectioned prompt (system, summary, memories, retrieved passages, verbatim turns, new input) into a token
 * limit: each section into its budget, then the whole into the limit. Verbatim turns go first, oldest first (so the
 * newest turns that fit are kept), then retrieved passages and then memories lowest score first, then the summary; system messages and the new input are never
 * dropped. Turns are counted newest first and only until the room is used up: a long history costs the
 * tokenizer only what can be kept. Pure: the token counter is injected (the model's own tokenizer in the worker).
 */
export function fitPrompt(messages: ChatMessage[], opts: FitOptions): FitResult {
  const count = (m: ChatMessage) => opts.countTokens(m.content) + opts.perMessageOverhead;
  const turns: ChatMessage[] = [];
  const kept = new Map<ChatMessage, Entry>();
  const dropped: ChatMessage[] = [];
  for (const message of messages) {
    const section = message.section ?? 'input';
    if (section === 'turn') turns.push(message);
    else kept.set(message, { message, section, tokens: count(message) });
  }
  const entriesOf = (section: PromptSection) => [...kept.values()].filter((e) => e.section === section);
  const drop = (e: Entry) => {
    if (kept.delete(e.message)) dropped.push(e.message);
  };
  const total = () => [...kept.values()].reduce((n, e) => n + e.tokens, 0);

  // Retrieved passages and memories lowest score first, then the summary: into their budgets, then (below) into
  // the limit.
  const byScore = (a: Entry, b: Entry) => (a.message.score ?? 0) - (b.message.score ?? 0);
  const droppable = [
    ...entriesOf('retrieval').sort(byScore),
    ...entriesOf('memory').sort(byScore),
    ...entriesOf('summary'),
  ];
  for (const section of ['retrieval', 'memory', 'summary'] as const) {
    const budget = opts.budgets?.[section];
    if (budget === undefined) continue;
    let used = sum(entriesOf(section));
    for (const e of droppable.filter((d) => d.section === section)) {
      if (used <= budget) break;
      drop(e);
      used -= e.tokens;
    }
  }
  for (const e of droppable) {
    if (total() <= opts.limit) break;
    drop(e);
  }
  const fixed = total();
  if (fixed > opts.limit) throw new PromptTooLongError(fixed);

  // The newest turns that fit in what is left (and in the turn budget).
  let room = Math.min(opts.limit - fixed, opts.budgets?.turn ?? Infinity);
  let firstKept = turns.length;
  const turnEntries = new Map<ChatMessage, Entry>();
  for (let i = turns.length - 1; i >= 0; i--) {
    const tokens = count(turns[i]!);
    if (tokens > room) break;
    room -= tokens;
    firstKept = i;
    turnEntries.set(turns[i]!, { message: turns[i]!, section: 'turn', tokens });
  }
  dropped.unshift(...turns.slice(0, firstKept));

  const keptEntries: Entry[] = [];
  for (const m of messages) {
    const e = kept.get(m) ?? turnEntries.get(m);
    if (e) keptEntries.push(e);
  }
  const tokens: Record<string, number> = {};
  for (const e of keptEntries) tokens[e.section] = (tokens[e.section] ?? 0) + e.tokens;
  return {
    messages: keptEntries.map((e) => e.message),
    estimatedTokens: sum(keptEntries),
    parts: opts.withParts
      ? keptEntries.map((e) => ({
          section: e.section,
          role: e.message.role,
          content: e.message.content,
          tokens: e.tokens,
        }))
      : undefined,
    context: {
      tokens,
      summaryId: keptEntries.find((e) => e.section === 'summary')?.message.ref ?? null,
      memories: keptEntries
        .filter((e) => e.section === 'memory')
        .map((e) => ({ id: e.message.ref ?? '', score: e.message.score ?? null })),
      verbatimIds: keptEntries.filter((e) => e.section === 'turn' && e.message.ref).map((e) => e.message.ref!),
      droppedIds: dropped.filter((m) => m.ref).map((m) => m.ref!),
    },
  };
}

function sum(entries: Entry[]): number {
  return entries.reduce((n, e) => n + e.tokens, 0);
}
