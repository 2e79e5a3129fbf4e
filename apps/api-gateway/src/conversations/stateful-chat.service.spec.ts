import { MAX_RECALL_QUERY_CHARS } from '@llmp/contracts';
import { recallQuery } from './stateful-chat.service';

describe('recallQuery', () => {
  it("is the input messages' text, without function outputs", () => {
    expect(
      recallQuery([
        { type: 'message', role: 'user', content: 'What is my cat called?' },
        { type: 'function_call_output', call_id: 'c1', output: '{"ok":true}' },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'And her toy?' }] },
      ]),
    ).toBe('What is my cat called?\nAnd her toy?');
  });

  it('is nothing for blank input, and the end of a long one', () => {
    expect(recallQuery([{ type: 'message', role: 'user', content: '   ' }])).toBeUndefined();
    const long = `${'x'.repeat(MAX_RECALL_QUERY_CHARS)} the question?`;
    const query = recallQuery([{ type: 'message', role: 'user', content: long }])!;
    expect(query).toHaveLength(MAX_RECALL_QUERY_CHARS);
    expect(query.endsWith('the question?')).toBe(true);
  });
});
