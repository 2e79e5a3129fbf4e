import type { ChatMessage, RetrievalSource } from '@llmp/contracts';
import { citations, keptSources, sourceRef, withSources } from './grounding';

const source = (index: number, file: string, score: number): RetrievalSource => ({
  index,
  file_id: `file-${file}`,
  filename: `${file}.txt`,
  score,
  text: `about ${file}`,
  attributes: null,
  vector_store_id: 'vs_1',
});
const sources = [source(1, 'cats', 0.9), source(2, 'rockets', 0.4)];

describe('grounding', () => {
  it('puts the cite instruction and one scored retrieval message per source after the leading system messages', () => {
    const messages: ChatMessage[] = [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'cats?' },
    ];
    const out = withSources(messages, sources);
    expect(out.map((m) => [m.role, m.section])).toEqual([
      ['system', 'system'],
      ['system', 'system'],
      ['system', 'retrieval'],
      ['system', 'retrieval'],
      ['user', 'input'],
    ]);
    expect(out[2]).toMatchObject({ content: '[1] cats.txt: about cats', ref: sourceRef(1), score: 0.9 });
    expect(withSources(messages, [])).toBe(messages);
  });

  it('annotates each [n] naming a source with its file at the bracket position, in code points', () => {
    const text = 'Cats purr 🐱 [1]. Rockets fly [2, 1] and [7].';
    const at = (s: string) => [...text.slice(0, text.indexOf(s))].length;
    expect(citations(text, sources)).toEqual([
      { type: 'file_citation', file_id: 'file-cats', filename: 'cats.txt', index: at('[1]') },
      { type: 'file_citation', file_id: 'file-rockets', filename: 'rockets.txt', index: at('[2, 1]') },
      { type: 'file_citation', file_id: 'file-cats', filename: 'cats.txt', index: at('[2, 1]') },
    ]);
    expect(citations('no citation here', sources)).toEqual([]);
    // A source the prompt dropped is not citable.
    expect(citations('see [2]', keptSources(sources, [sourceRef(2), 'msg_x']))).toEqual([]);
  });
});
