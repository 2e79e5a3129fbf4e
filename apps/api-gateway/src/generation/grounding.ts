import type { ChatMessage, FileCitationAnnotation, RetrievalSource, VectorStoreSearchResult } from '@llmp/contracts';

/** Ref of a source's prompt message (reported back by the worker when the source was dropped to fit). */
const SOURCE_REF_PREFIX = 'source:';

export const sourceRef = (index: number) => `${SOURCE_REF_PREFIX}${index}`;
export const isSourceRef = (ref: string) => ref.startsWith(SOURCE_REF_PREFIX);

/** What the model is told before the sources. */
export const SOURCES_INSTRUCTION =
  'Answer using the numbered sources below. When a sentence uses a source, cite it by writing its number in ' +
  'brackets, for example [1]. If the sources do not contain the answer, say so.';

/** Search results numbered from 1 in their ranked order (the text of all content parts of one result joined). */
export function toSources(results: VectorStoreSearchResult[]): RetrievalSource[] {
  return results.map((r, i) => ({
    index: i + 1,
    file_id: r.file_id,
    filename: r.filename,
    score: r.score,
    text: r.content.map((c) => c.text).join('\n'),
    attributes: r.attributes ?? null,
    vector_store_id: r.vector_store_id,
  }));
}

/**
 * The prompt with the sources in it: after the leading system messages (the conversation's system prompt, the
 * request's instructions), a system instruction to cite, then one `retrieval` message per source
 * (`[n] filename: text`), scored so that the worker drops the least relevant first when the prompt must shrink.
 * With no sources the prompt is unchanged (nothing was found: the model answers without sources).
 */
export function withSources(messages: ChatMessage[], sources: RetrievalSource[]): ChatMessage[] {
  if (sources.length === 0) return messages;
  let at = 0;
  while (at < messages.length && messages[at]!.role === 'system' && (messages[at]!.section ?? 'system') === 'system') {
    at++;
  }
  const grounding: ChatMessage[] = [
    { role: 'system', content: SOURCES_INSTRUCTION, section: 'system' },
    ...sources.map((s): ChatMessage => ({
      role: 'system',
      content: `[${s.index}] ${s.filename}: ${s.text}`,
      section: 'retrieval',
      ref: sourceRef(s.index),
      score: s.score,
    })),
  ];
  // A stateless request's messages carry no section: mark them as the input so the worker fits them as such.
  const tagged = messages.map((m) => (m.section ? m : { ...m, section: m.role === 'system' ? 'system' : 'input' }));
  return [...tagged.slice(0, at), ...grounding, ...tagged.slice(at)] as ChatMessage[];
}

/** The sources the model saw: those the worker did not drop to fit the prompt (its `droppedIds` name them). */
export function keptSources(sources: RetrievalSource[], droppedIds: string[] | undefined): RetrievalSource[] {
  const dropped = new Set(droppedIds ?? []);
  return sources.filter((s) => !dropped.has(sourceRef(s.index)));
}

/**
 * `file_citation` annotations for the citations the model wrote: each `[n]` (also `[n, m]` and `[n][m]`) naming a
 * source it saw gives one annotation of that source's file, `index` being the position (in characters, Unicode
 * code points as OpenAI counts them) of the citation's opening bracket. Numbers naming no source are left
 * unannotated, and a reply that cites nothing gets no annotations: an annotation claims that the text cites
 * the file, which the platform does not invent (the retrieved files are in the file_search_call's results and in
 * `sources`).
 */
export function citations(text: string, sources: RetrievalSource[]): FileCitationAnnotation[] {
  const byIndex = new Map(sources.map((s) => [s.index, s]));
  const out: FileCitationAnnotation[] = [];
  for (const m of text.matchAll(/\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\]/g)) {
    const position = [...text.slice(0, m.index)].length;
    for (const n of m[1]!.split(',')) {
      const source = byIndex.get(Number(n.trim()));
      if (source)
        out.push({ type: 'file_citation', file_id: source.file_id, filename: source.filename, index: position });
    }
  }
  return out;
}
